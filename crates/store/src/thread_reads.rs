//! Who follows a thread and what they read there (v1.23): one row per follower, with the
//! newest reply they read. Writing in a thread (or being mentioned in it, or having started
//! it) follows it; reading moves only a marker that exists.

use std::collections::HashMap;

use crate::{Result, Store};

impl Store {
    /// `user_id` follows the thread of `root`, having read up to `last_read` (nothing moves
    /// if they follow it already).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn follow_thread(&self, user_id: i64, root: i64, last_read: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO thread_reads (user_id, root_id, last_read) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, root_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(root)
            .bind(last_read)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// `user_id` wrote reply `id` in the thread of `root`: they follow it, read up to there
    /// (a marker never moves back).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn wrote_in_thread(&self, user_id: i64, root: i64, id: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO thread_reads (user_id, root_id, last_read) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, root_id) DO UPDATE SET last_read = CASE \
                 WHEN thread_reads.last_read < excluded.last_read THEN excluded.last_read \
                 ELSE thread_reads.last_read END",
            )
            .bind(user_id)
            .bind(root)
            .bind(id)
            .execute(conn)
            .await
        })
        .await?;
        Ok(())
    }

    /// `user_id` read the thread of `root` up to `id`: their marker moves forward, if they
    /// follow it. Whether it moved.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn read_thread(&self, user_id: i64, root: i64, id: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE thread_reads SET last_read = $3 \
                     WHERE user_id = $1 AND root_id = $2 AND last_read < $3",
                )
                .bind(user_id)
                .bind(root)
                .bind(id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Where `user_id` read up to in each of the threads of `roots` they follow.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn thread_markers(&self, user_id: i64, roots: &[i64]) -> Result<HashMap<i64, i64>> {
        if roots.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT root_id, last_read FROM thread_reads WHERE user_id = $1 AND root_id IN ({})",
            crate::db::placeholders(2, roots.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql).bind(user_id);
        for root in roots {
            query = query.bind(root);
        }
        Ok(query.fetch_all(&self.pool).await?.into_iter().collect())
    }

    /// The thread of `root`'s message just before `id`: its newest reply older than `id`, or
    /// the root itself.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn thread_reply_before(&self, root: i64, id: i64) -> Result<i64> {
        let before: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM messages WHERE thread_root = $1 AND id < $2")
                .bind(root)
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
        Ok(before.unwrap_or(root))
    }

    /// Who follows the thread of `root` (people, no bots), by id.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn thread_followers(&self, root: i64) -> Result<Vec<i64>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT t.user_id FROM thread_reads t JOIN users u ON u.id = t.user_id \
             WHERE t.root_id = $1 AND u.bot = 0 ORDER BY t.user_id",
        )
        .bind(root)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[tokio::test]
    async fn writing_follows_reading_moves_forward_and_a_bystander_keeps_no_marker() {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let bea = store.create_guest("bea", 0).await.unwrap();
        let cy = store.create_guest("cy", 0).await.unwrap();
        let (root, _) = store
            .insert_message(&general, &ana, "root", 1, None)
            .await
            .unwrap();
        store.follow_thread(ana.id, root.id, root.id).await.unwrap();
        store.wrote_in_thread(bea.id, root.id, 10).await.unwrap();
        store.wrote_in_thread(bea.id, root.id, 7).await.unwrap();
        assert_eq!(
            store.thread_followers(root.id).await.unwrap(),
            [ana.id, bea.id]
        );
        // Following again changes nothing; reading moves forward only.
        store.follow_thread(bea.id, root.id, root.id).await.unwrap();
        assert!(store.read_thread(ana.id, root.id, 12).await.unwrap());
        assert!(!store.read_thread(ana.id, root.id, 11).await.unwrap());
        assert_eq!(
            store.thread_reply_before(root.id, 11).await.unwrap(),
            root.id
        );
        // Reading a thread one does not follow keeps nothing.
        assert!(!store.read_thread(cy.id, root.id, 12).await.unwrap());
        let roots = [root.id];
        let markers = |user| store.thread_markers(user, &roots);
        assert_eq!(markers(ana.id).await.unwrap().get(&root.id), Some(&12));
        assert_eq!(markers(bea.id).await.unwrap().get(&root.id), Some(&10));
        assert!(markers(cy.id).await.unwrap().is_empty());
    }
}
