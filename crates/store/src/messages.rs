//! Chat messages: idempotent insert and paged history.

use protocol::{Author, Message, User};
use sqlx::FromRow;

use crate::{Result, RoomRecord, Store};

#[derive(FromRow)]
struct MessageRow {
    id: i64,
    room: String,
    user_id: i64,
    username: String,
    text: String,
    ts: i64,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        Self {
            id: row.id,
            room: row.room,
            user: Author {
                id: row.user_id,
                username: row.username,
            },
            text: row.text,
            ts: row.ts,
        }
    }
}

const SELECT: &str = "SELECT m.id, r.name AS room, m.user_id, u.username, m.text, m.ts \
                      FROM messages m JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id";

impl Store {
    /// Stores a message. With a `client_id` already used by this author, nothing is stored
    /// and the original message is returned; the flag says whether the message is new.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn insert_message(
        &self,
        room: &RoomRecord,
        author: &User,
        text: &str,
        ts: i64,
        client_id: Option<&str>,
    ) -> Result<(Message, bool)> {
        // Ids must become visible in increasing order within a room, or a client catching up
        // with `history {after}` could skip a message committed late with a smaller id. SQLite
        // has one writer at a time and commits each statement on its own; on PostgreSQL the
        // room's advisory lock is held from taking the id to the commit, so inserts into one
        // room commit in id order (other rooms are not held up).
        let insert = sqlx::query_scalar(
            "INSERT INTO messages (room_id, user_id, text, ts, client_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_id, client_id) DO NOTHING RETURNING id",
        )
        .bind(room.id)
        .bind(author.id)
        .bind(text)
        .bind(ts)
        .bind(client_id);
        let id: Option<i64> = if self.backend() == crate::Backend::Postgres {
            let mut tx = self.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock(2, CAST($1 AS INTEGER))")
                .bind(i32::try_from(room.id.rem_euclid(i64::from(i32::MAX))).unwrap_or(0))
                .execute(&mut *tx)
                .await?;
            let id = insert.fetch_optional(&mut *tx).await?;
            tx.commit().await?;
            id
        } else {
            insert.fetch_optional(&self.pool).await?
        };
        if let Some(id) = id {
            let message = Message {
                id,
                room: room.name.clone(),
                user: Author::from(author),
                text: text.to_owned(),
                ts,
            };
            return Ok((message, true));
        }
        // Only a duplicate (user_id, client_id) makes the insert return no row.
        let original: MessageRow = sqlx::query_as(&format!(
            "{SELECT} WHERE m.user_id = $1 AND m.client_id = $2"
        ))
        .bind(author.id)
        .bind(client_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((original.into(), false))
    }

    /// Messages of a room, oldest first. `after` / `before` are exclusive message ids; with
    /// `after` the oldest `limit` newer messages come back (catching up), otherwise the newest
    /// `limit` (older than `before`, if given).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn history(
        &self,
        room: &RoomRecord,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let before = before.unwrap_or(i64::MAX);
        let rows: Vec<MessageRow> = if let Some(after) = after {
            sqlx::query_as(&format!(
                "{SELECT} WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3 ORDER BY m.id ASC LIMIT $4"
            ))
            .bind(room.id)
            .bind(after)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?
        } else {
            let mut rows: Vec<MessageRow> = sqlx::query_as(&format!(
                "{SELECT} WHERE m.room_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
            ))
            .bind(room.id)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
            rows.reverse();
            rows
        };
        Ok(rows.into_iter().map(Message::from).collect())
    }

    /// Stored messages per open room id.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn message_counts(&self) -> Result<Vec<(i64, u64)>> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT room_id, COUNT(*) FROM messages GROUP BY room_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(room, n)| (room, n.max(0) as u64))
            .collect())
    }

    /// Messages stored at or after `since` (Unix ms).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn messages_since(&self, since: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE ts >= $1")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn setup() -> (Store, RoomRecord, User) {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        (store, general, ana)
    }

    #[tokio::test]
    async fn resend_with_client_id_stores_once() {
        let (store, general, ana) = setup().await;
        let (first, new) = store
            .insert_message(&general, &ana, "hi", 10, Some("c1"))
            .await
            .unwrap();
        assert!(new);
        let (again, new) = store
            .insert_message(&general, &ana, "hi (resent)", 20, Some("c1"))
            .await
            .unwrap();
        assert!(!new);
        assert_eq!(again, first);
        // Without a client id every send is a new message.
        store
            .insert_message(&general, &ana, "a", 30, None)
            .await
            .unwrap();
        store
            .insert_message(&general, &ana, "a", 31, None)
            .await
            .unwrap();
        assert_eq!(
            store.history(&general, None, None, 50).await.unwrap().len(),
            3
        );
        // Another user may use the same client id.
        let bea = store.create_guest("bea", 0).await.unwrap();
        let (theirs, new) = store
            .insert_message(&general, &bea, "hey", 40, Some("c1"))
            .await
            .unwrap();
        assert!(new);
        assert_ne!(theirs.id, first.id);
    }

    #[tokio::test]
    async fn history_pages_oldest_first() {
        let (store, general, ana) = setup().await;
        let mut ids = Vec::new();
        for n in 0..10 {
            let (m, _) = store
                .insert_message(&general, &ana, &format!("m{n}"), n, None)
                .await
                .unwrap();
            ids.push(m.id);
        }
        let texts = |ms: Vec<Message>| ms.into_iter().map(|m| m.text).collect::<Vec<_>>();
        assert_eq!(
            texts(store.history(&general, None, None, 3).await.unwrap()),
            ["m7", "m8", "m9"]
        );
        assert_eq!(
            texts(
                store
                    .history(&general, Some(ids[7]), None, 3)
                    .await
                    .unwrap()
            ),
            ["m4", "m5", "m6"]
        );
        assert_eq!(
            texts(
                store
                    .history(&general, None, Some(ids[5]), 3)
                    .await
                    .unwrap()
            ),
            ["m6", "m7", "m8"]
        );
        assert_eq!(
            texts(
                store
                    .history(&general, Some(ids[8]), Some(ids[5]), 10)
                    .await
                    .unwrap()
            ),
            ["m6", "m7"]
        );
        let first = &store.history(&general, None, None, 1).await.unwrap()[0];
        assert_eq!(first.room, "general");
        assert_eq!(first.user.username, "ana");
    }

    #[tokio::test]
    async fn counts() {
        let (store, general, ana) = setup().await;
        store
            .insert_message(&general, &ana, "old", 1_000, None)
            .await
            .unwrap();
        store
            .insert_message(&general, &ana, "new", 5_000, None)
            .await
            .unwrap();
        assert_eq!(store.message_counts().await.unwrap(), [(general.id, 2)]);
        assert_eq!(store.messages_since(2_000).await.unwrap(), 1);
    }
}
