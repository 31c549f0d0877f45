//! What a ban can reach beyond the account itself (v1.10): the addresses it used, refused for
//! new accounts and guests while it stays banned, and what it made lately, removed.

use crate::personal::{ERASED_MESSAGES_SHOWN, RemovedMessage};
use crate::rooms::{COLUMNS_OF_R, RoomRecord, RoomRow};
use crate::{Result, Store};

/// What [`Store::remove_recent`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemovedRecent {
    /// How many messages were deleted (they stay as placeholders, like any deleted message).
    pub message_count: u64,
    /// The newest of them, at most [`ERASED_MESSAGES_SHOWN`] (the ones clients may still
    /// show), newest first.
    pub messages: Vec<RemovedMessage>,
    /// The ids of the files whose rows went (their bytes are to go).
    pub files: Vec<String>,
    /// The open rooms (not DMs) the account created in the window: to be closed.
    pub rooms: Vec<RoomRecord>,
}

impl Store {
    /// Refuses, while `user_id` stays banned, new accounts and guests from every address its
    /// sessions and uploads came from; returns how many addresses that is.
    ///
    /// # Errors
    /// Database failures.
    pub async fn ban_addresses(&self, user_id: i64, now: i64) -> Result<u64> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO address_bans (client_addr, user_id, created_at) \
                     SELECT DISTINCT client_addr, $1, $2 FROM ( \
                         SELECT client_addr FROM sessions WHERE user_id = $1 \
                         UNION SELECT client_addr FROM attachments WHERE user_id = $1 \
                     ) used WHERE client_addr IS NOT NULL \
                     ON CONFLICT (client_addr, user_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(now)
            .execute(conn)
            .await
        })
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM address_bans WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// Lifts the address bans that came with `user_id`'s ban.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unban_addresses(&self, user_id: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM address_bans WHERE user_id = $1")
                    .bind(user_id)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected())
    }

    /// Whether new accounts and guests from `client_addr` are refused: an account that used it
    /// is banned with its addresses.
    ///
    /// # Errors
    /// Database failures.
    pub async fn address_banned(&self, client_addr: &str) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM address_bans b JOIN users u ON u.id = b.user_id \
             WHERE b.client_addr = $1 AND u.banned_at IS NOT NULL LIMIT 1",
        )
        .bind(client_addr)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Removes what `user_id` made since `since` (ms): its messages are deleted as a deletion
    /// by a moderator does (text, reactions and files gone, a placeholder stays), its uploads
    /// go, and the open rooms it created are returned for the caller to close (closing one
    /// tells the people inside, which the store cannot).
    ///
    /// # Errors
    /// Database failures.
    pub async fn remove_recent(&self, user_id: i64, since: i64, now: i64) -> Result<RemovedRecent> {
        let mut tx = self.write_tx().await?;
        let messages: Vec<RemovedMessage> = sqlx::query_as(
            "SELECT m.room_id, r.name AS room, m.id FROM messages m \
             JOIN rooms r ON r.id = m.room_id \
             WHERE m.user_id = $1 AND m.ts >= $2 AND m.deleted_ts IS NULL \
             ORDER BY m.id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(since)
        .bind(ERASED_MESSAGES_SHOWN)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM reactions WHERE message_id IN \
             (SELECT id FROM messages WHERE user_id = $1 AND ts >= $2 AND deleted_ts IS NULL)",
        )
        .bind(user_id)
        .bind(since)
        .execute(&mut *tx)
        .await?;
        let deleted = sqlx::query(
            "UPDATE messages SET text = '', deleted_ts = $1, changed_ts = $1 \
             WHERE user_id = $2 AND ts >= $3 AND deleted_ts IS NULL",
        )
        .bind(now)
        .bind(user_id)
        .bind(since)
        .execute(&mut *tx)
        .await?;
        // Files on the messages just deleted (whenever uploaded) and uploads of the window.
        let files: Vec<String> = sqlx::query_scalar(
            "DELETE FROM attachments WHERE user_id = $1 AND (created_ts >= $2 OR message_id IN \
             (SELECT id FROM messages WHERE user_id = $1 AND deleted_ts = $3)) RETURNING id",
        )
        .bind(user_id)
        .bind(since)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let rooms: Vec<RoomRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS_OF_R} FROM rooms r WHERE r.created_by = $1 AND r.created_at >= $2 \
             AND r.closed_at IS NULL AND r.kind = 'room' ORDER BY r.id"
        ))
        .bind(user_id)
        .bind(since)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RemovedRecent {
            message_count: deleted.rows_affected(),
            messages,
            files,
            rooms: rooms.into_iter().map(Into::into).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{NewFile, RoomKind, Store};

    #[tokio::test]
    async fn address_bans_last_as_long_as_the_ban() {
        let store = Store::in_memory().await.unwrap();
        let eve = store.create_guest("eve", 0).await.unwrap();
        store
            .create_session(eve.id, "a", Some("198.51.100.7"), 0, 1_000)
            .await
            .unwrap();
        store
            .create_session(eve.id, "b", Some("2001:db8:1:2::/64"), 0, 1_000)
            .await
            .unwrap();
        store
            .create_session(eve.id, "c", None, 0, 1_000)
            .await
            .unwrap();
        assert!(!store.address_banned("198.51.100.7").await.unwrap());
        assert_eq!(store.ban_addresses(eve.id, 1).await.unwrap(), 2);
        assert_eq!(
            store.ban_addresses(eve.id, 2).await.unwrap(),
            2,
            "twice is once"
        );
        assert!(
            !store.address_banned("198.51.100.7").await.unwrap(),
            "only while the account is banned"
        );
        store.set_banned(eve.id, true, 3).await.unwrap();
        assert!(store.address_banned("198.51.100.7").await.unwrap());
        assert!(store.address_banned("2001:db8:1:2::/64").await.unwrap());
        assert!(!store.address_banned("198.51.100.8").await.unwrap());
        store.set_banned(eve.id, false, 4).await.unwrap();
        assert!(!store.address_banned("198.51.100.7").await.unwrap());
        assert_eq!(store.unban_addresses(eve.id).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn removing_recent_content_spares_older_content_and_other_people() {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let eve = store.create_guest("eve", 0).await.unwrap();
        let bob = store.create_guest("bob", 0).await.unwrap();
        let (old, _) = store
            .insert_message(&general, &eve, "old", 100, None)
            .await
            .unwrap();
        let (recent, _) = store
            .insert_message(&general, &eve, "spam", 1_000, None)
            .await
            .unwrap();
        let (bobs, _) = store
            .insert_message(&general, &bob, "hi", 1_000, None)
            .await
            .unwrap();
        store
            .react(recent.id, bob.id, "👍", true, 1_001)
            .await
            .unwrap();
        let file = store
            .insert_file(&NewFile {
                id: "f1".into(),
                room_id: general.id,
                user_id: eve.id,
                name: "x.png".into(),
                size: 10,
                content_type: "image/png".into(),
                preview_type: None,
                ts: 900,
                client_addr: None,
            })
            .await
            .unwrap();
        let room = |name: &'static str, by: i64, at: i64| {
            let store = store.clone();
            async move {
                store
                    .create_room(name, None, false, RoomKind::Room, by, at)
                    .await
                    .unwrap()
            }
        };
        let old_room = room("before", eve.id, 100).await;
        let new_room = room("spam-room", eve.id, 950).await;
        room("bobs", bob.id, 950).await;

        let removed = store.remove_recent(eve.id, 500, 2_000).await.unwrap();
        assert_eq!(removed.message_count, 1);
        assert_eq!(
            removed.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
            [recent.id]
        );
        assert_eq!(removed.files, [file.id]);
        assert_eq!(
            removed.rooms.iter().map(|r| r.id).collect::<Vec<_>>(),
            [new_room.id]
        );
        let gone = store.message(recent.id).await.unwrap().unwrap().message;
        assert!(gone.deleted && gone.text.is_empty() && gone.reactions.is_empty());
        assert_eq!(
            store.message(old.id).await.unwrap().unwrap().message.text,
            "old"
        );
        assert_eq!(
            store.message(bobs.id).await.unwrap().unwrap().message.text,
            "hi"
        );
        assert!(!store.room_by_id(old_room.id).await.unwrap().unwrap().closed);
        assert_eq!(
            store.remove_recent(eve.id, 500, 3_000).await.unwrap(),
            super::RemovedRecent {
                rooms: removed.rooms,
                ..Default::default()
            },
            "a second pass removes nothing more (the rooms are for the caller to close)"
        );
    }
}
