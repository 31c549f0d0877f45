//! What a ban can reach beyond the account itself (v1.10): the addresses it used, refused for
//! new accounts and guests while it stays banned, and what it made lately, removed.

use crate::personal::RemovedMessage;
use crate::rooms::{COLUMNS_OF_R, RoomRecord, RoomRow};
use crate::{Result, Store};

/// A batch of messages [`Store::remove_recent_messages`] deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RemovedBatch {
    /// The messages, newest first (they stay as placeholders, like any deleted message).
    pub messages: Vec<RemovedMessage>,
    /// The ids of the files they carried (their rows went; their bytes are to go).
    pub files: Vec<String>,
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

    /// Deletes the newest `limit` messages `user_id` wrote since `since` (ms) and has not
    /// deleted, as a moderator's deletion does (text, reactions and files gone, a placeholder
    /// stays), in one transaction; call again until a batch comes back empty, so a long
    /// clean-up never holds the writer for long.
    ///
    /// # Errors
    /// Database failures.
    pub async fn remove_recent_messages(
        &self,
        user_id: i64,
        since: i64,
        now: i64,
        limit: i64,
    ) -> Result<RemovedBatch> {
        let mut tx = self.write_tx().await?;
        let messages: Vec<RemovedMessage> = sqlx::query_as(
            "SELECT m.room_id, r.name AS room, m.id FROM messages m \
             JOIN rooms r ON r.id = m.room_id \
             WHERE m.user_id = $1 AND m.ts >= $2 AND m.deleted_ts IS NULL \
             ORDER BY m.id DESC LIMIT $3",
        )
        .bind(user_id)
        .bind(since)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if messages.is_empty() {
            return Ok(RemovedBatch::default());
        }
        let ids = messages
            .iter()
            .map(|m| m.id.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // The ids are integers read just above: safe to inline. Reactions, pins and places in
        // saved lists and link previews go with the text (as when a message is deleted).
        for table in ["reactions", "pins", "saved_messages", "message_previews"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE message_id IN ({ids})"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(&format!(
            "UPDATE messages SET text = '', deleted_ts = $1, changed_ts = $1 WHERE id IN ({ids})"
        ))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let files: Vec<String> = sqlx::query_scalar(&format!(
            "DELETE FROM attachments WHERE message_id IN ({ids}) RETURNING id"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RemovedBatch { messages, files })
    }

    /// Deletes what `user_id` uploaded since `since` (ms) (sent or not); the ids of the files
    /// whose bytes are to go.
    ///
    /// # Errors
    /// Database failures.
    pub async fn remove_recent_uploads(&self, user_id: i64, since: i64) -> Result<Vec<String>> {
        Ok(self
            .write(async |conn| {
                sqlx::query_scalar(
                    "DELETE FROM attachments WHERE user_id = $1 AND created_ts >= $2 RETURNING id",
                )
                .bind(user_id)
                .bind(since)
                .fetch_all(conn)
                .await
            })
            .await?)
    }

    /// The open rooms (not DMs) `user_id` created since `since` (ms).
    ///
    /// # Errors
    /// Database failures.
    pub async fn rooms_created_since(&self, user_id: i64, since: i64) -> Result<Vec<RoomRecord>> {
        let rows: Vec<RoomRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS_OF_R} FROM rooms r WHERE r.created_by = $1 AND r.created_at >= $2 \
             AND r.closed_at IS NULL AND r.kind = 'room' ORDER BY r.id"
        ))
        .bind(user_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
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
        // Pinned by an admin and saved by Bob: both go with the message.
        store
            .set_pinned(recent.id, general.id, bob.id, true, 1_002)
            .await
            .unwrap();
        store
            .set_saved(bob.id, recent.id, true, 1_003)
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

        // In batches of one: the newest first, then nothing more.
        let first = store
            .remove_recent_messages(eve.id, 500, 2_000, 1)
            .await
            .unwrap();
        assert_eq!(
            first.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
            [recent.id]
        );
        assert!(first.files.is_empty(), "the file was never sent");
        assert!(store.pins(general.id).await.unwrap().is_empty());
        let (saved, _) = store.saved_messages(bob.id, None, 10).await.unwrap();
        assert!(saved.is_empty());
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pins")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(left, 0, "no hidden pin keeps a place in the room's 50");
        assert_eq!(
            store
                .remove_recent_messages(eve.id, 500, 2_000, 1)
                .await
                .unwrap(),
            super::RemovedBatch::default()
        );
        assert_eq!(
            store.remove_recent_uploads(eve.id, 500).await.unwrap(),
            [file.id]
        );
        assert_eq!(
            store
                .rooms_created_since(eve.id, 500)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
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
    }
}
