//! Saved messages (v1.15): each person's private list of messages to come back to, at most
//! [`validate::SAVED_MAX`], the latest saved first. A person's saved times are distinct, so a
//! page resumes from one without ties; a deleted message leaves every list. Whether the person
//! may still see a message's room is the caller's to check.

use std::collections::HashMap;

use protocol::{Message, validate};

use crate::db::LockSpace;
use crate::messages::{MessageRow, SELECT};
use crate::{Result, Store, StoreError};

/// A saved message as stored: the message as it is now, its room's id, when it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedEntry {
    /// The message as it is now (with the reader's own reactions and saved mark).
    pub message: Message,
    /// Its room's id.
    pub room_id: i64,
    /// When it was saved (ms).
    pub saved_ts: i64,
}

impl Store {
    /// Puts a message in `user_id`'s saved list (`saved`), or takes it out. `Some(ts)` when
    /// that changed something: the time it was saved under (strictly after any other of
    /// theirs), or `now` for a removal; `None` when nothing changed.
    ///
    /// # Errors
    /// [`StoreError::TooMany`] past [`validate::SAVED_MAX`]; [`StoreError::NotFound`] to save a
    /// deleted or unknown message; database failures.
    pub async fn set_saved(
        &self,
        user_id: i64,
        message_id: i64,
        saved: bool,
        now: i64,
    ) -> Result<Option<i64>> {
        let mut tx = self.write_tx().await?;
        // One change to a person's list at a time: two saves at once cannot pass the limit or
        // share a saved time.
        self.lock_key(&mut tx, LockSpace::Saved, user_id).await?;
        if !saved {
            let removed =
                sqlx::query("DELETE FROM saved_messages WHERE user_id = $1 AND message_id = $2")
                    .bind(user_id)
                    .bind(message_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            tx.commit().await?;
            return Ok((removed > 0).then_some(now));
        }
        let deleted: Option<Option<i64>> =
            sqlx::query_scalar("SELECT deleted_ts FROM messages WHERE id = $1")
                .bind(message_id)
                .fetch_optional(&mut *tx)
                .await?;
        if !matches!(deleted, Some(None)) {
            return Err(StoreError::NotFound);
        }
        // The latest time counts every entry (times stay distinct); the limit only the
        // messages not deleted.
        let (count, latest, already): (i64, Option<i64>, i64) = sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN m.deleted_ts IS NULL THEN 1 ELSE 0 END), 0), MAX(sv.ts), \
             COALESCE(SUM(CASE WHEN sv.message_id = $2 THEN 1 ELSE 0 END), 0) \
             FROM saved_messages sv JOIN messages m ON m.id = sv.message_id WHERE sv.user_id = $1",
        )
        .bind(user_id)
        .bind(message_id)
        .fetch_one(&mut *tx)
        .await?;
        if already > 0 {
            return Ok(None);
        }
        if count >= validate::SAVED_MAX as i64 {
            return Err(StoreError::TooMany);
        }
        let ts = latest.map_or(now, |latest| now.max(latest + 1));
        let inserted = sqlx::query(
            "INSERT INTO saved_messages (user_id, message_id, ts) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, message_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(message_id)
        .bind(ts)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((inserted > 0).then_some(ts))
    }

    /// A page of `user_id`'s saved messages that are not deleted, the latest saved first:
    /// those saved before `before`, at most `limit`; and whether more follow.
    ///
    /// # Errors
    /// Database failures.
    pub async fn saved_messages(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(Vec<SavedEntry>, bool)> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{SELECT} JOIN saved_messages sv ON sv.message_id = m.id \
             WHERE sv.user_id = $1 AND sv.ts < $2 AND m.deleted_ts IS NULL \
             ORDER BY sv.ts DESC LIMIT $3"
        ))
        .bind(user_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let more = rows.len() as i64 > limit;
        let room_ids: Vec<i64> = rows.iter().map(MessageRow::room_id).collect();
        let mut messages: Vec<Message> = rows
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .map(Message::from)
            .collect();
        self.complete(&mut messages).await?;
        self.for_reader(user_id, messages.iter_mut()).await?;
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let times = self.saved_times(user_id, &ids).await?;
        let entries = messages
            .into_iter()
            .zip(room_ids)
            .map(|(message, room_id)| SavedEntry {
                saved_ts: times.get(&message.id).copied().unwrap_or_default(),
                message,
                room_id,
            })
            .collect();
        Ok((entries, more))
    }

    /// What one reader sees of `messages` that others do not: their own reactions (a
    /// reaction lists only its first reactors), (v1.15) which they saved, and (v1.23) where they
    /// got to in the threads they follow.
    ///
    /// # Errors
    /// Database failures.
    pub async fn for_reader<'a>(
        &self,
        user_id: i64,
        messages: impl IntoIterator<Item = &'a mut Message>,
    ) -> Result<()> {
        let mut messages: Vec<&mut Message> = messages.into_iter().collect();
        self.add_own_reactions(user_id, messages.iter_mut().map(|m| &mut **m))
            .await?;
        let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
        let times = self.saved_times(user_id, &ids).await?;
        for message in &mut messages {
            message.saved = times.contains_key(&message.id);
        }
        // Roots of threads with replies: where the reader got to, if they follow it (v1.23).
        let roots: Vec<i64> = messages
            .iter()
            .filter(|m| m.thread.is_none() && m.replies.is_some())
            .map(|m| m.id)
            .collect();
        let markers = self.thread_markers(user_id, &roots).await?;
        for message in &mut messages {
            message.thread_read = markers.get(&message.id).copied();
        }
        Ok(())
    }

    /// When `user_id` saved each of the messages `ids` that they saved.
    async fn saved_times(&self, user_id: i64, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT message_id, ts FROM saved_messages WHERE user_id = $1 AND message_id IN ({})",
            crate::db::placeholders(2, ids.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql).bind(user_id);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use protocol::validate::SAVED_MAX;

    use crate::{RoomRecord, Store, StoreError};

    async fn setup() -> (Store, RoomRecord, protocol::User) {
        let store = Store::in_memory().await.unwrap();
        let room = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        (store, room, ana)
    }

    async fn say(store: &Store, room: &RoomRecord, user: &protocol::User, text: &str) -> i64 {
        let (message, _) = store
            .insert_message(room, user, text, 10, None)
            .await
            .unwrap();
        message.id
    }

    #[tokio::test]
    async fn saved_messages_page_latest_first_without_ties() {
        let (store, room, ana) = setup().await;
        let bea = store.create_guest("bea", 0).await.unwrap();
        let ids = [
            say(&store, &room, &ana, "one").await,
            say(&store, &room, &ana, "two").await,
            say(&store, &room, &ana, "three").await,
        ];
        // Saved in the same millisecond: each gets its own time.
        let mut times = Vec::new();
        for id in ids {
            times.push(
                store
                    .set_saved(ana.id, id, true, 1_000)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        assert_eq!(times, [1_000, 1_001, 1_002]);
        assert_eq!(
            store.set_saved(ana.id, ids[0], true, 2_000).await.unwrap(),
            None
        );

        let (page, more) = store.saved_messages(ana.id, None, 2).await.unwrap();
        let listed: Vec<i64> = page.iter().map(|e| e.message.id).collect();
        assert_eq!((listed, more), (vec![ids[2], ids[1]], true));
        assert!(page.iter().all(|e| e.message.saved && e.room_id == room.id));
        let (rest, more) = store
            .saved_messages(ana.id, Some(page[1].saved_ts), 2)
            .await
            .unwrap();
        assert_eq!((rest[0].message.id, more), (ids[0], false));
        // Private to each person.
        assert!(
            store
                .saved_messages(bea.id, None, 10)
                .await
                .unwrap()
                .0
                .is_empty()
        );
        let mut seen = store.history(&room, None, None, 10).await.unwrap();
        store.for_reader(bea.id, seen.iter_mut()).await.unwrap();
        assert!(seen.iter().all(|m| !m.saved));
        store.for_reader(ana.id, seen.iter_mut()).await.unwrap();
        assert!(seen.iter().all(|m| m.saved));

        assert_eq!(
            store.set_saved(ana.id, ids[1], false, 3_000).await.unwrap(),
            Some(3_000)
        );
        assert_eq!(
            store.set_saved(ana.id, ids[1], false, 3_000).await.unwrap(),
            None
        );
        // A deleted message leaves the list, and cannot be saved again.
        store.delete_message(ids[2], 4_000).await.unwrap();
        let (left, _) = store.saved_messages(ana.id, None, 10).await.unwrap();
        assert_eq!(
            left.iter().map(|e| e.message.id).collect::<Vec<_>>(),
            [ids[0]]
        );
        assert!(matches!(
            store.set_saved(ana.id, ids[2], true, 5_000).await,
            Err(StoreError::NotFound)
        ));
    }

    #[tokio::test]
    async fn a_saved_list_is_bounded() {
        let (store, room, ana) = setup().await;
        for n in 0..SAVED_MAX {
            let id = say(&store, &room, &ana, &format!("m{n}")).await;
            store.set_saved(ana.id, id, true, 100).await.unwrap();
        }
        let one_more = say(&store, &room, &ana, "one more").await;
        assert!(matches!(
            store.set_saved(ana.id, one_more, true, 100).await,
            Err(StoreError::TooMany)
        ));
    }
}
