//! Who blocked whom (v1.11): a blocked account's DMs, invites and mentions never reach the
//! person who blocked it.

use protocol::Author;

use crate::{Result, Store};

impl Store {
    /// `user_id` blocks `blocked_id`; whether that is new. At most `max` blocks per account:
    /// [`crate::StoreError::Conflict`] past it.
    ///
    /// # Errors
    /// [`crate::StoreError::Conflict`] (too many), database failures.
    pub async fn block(&self, user_id: i64, blocked_id: i64, max: u32, now: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "INSERT INTO blocks (user_id, blocked_id, created_at) \
                     SELECT $1, $2, $3 \
                     WHERE (SELECT COUNT(*) FROM blocks WHERE user_id = $1) < $4 \
                     ON CONFLICT (user_id, blocked_id) DO NOTHING",
                )
                .bind(user_id)
                .bind(blocked_id)
                .bind(now)
                .bind(i64::from(max))
                .execute(conn)
                .await
            })
            .await?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        if self.blocks(user_id, blocked_id).await? {
            Ok(false)
        } else {
            Err(crate::StoreError::Conflict)
        }
    }

    /// `user_id` unblocks `blocked_id`; whether it was blocked.
    ///
    /// # Errors
    /// Database failures.
    pub async fn unblock(&self, user_id: i64, blocked_id: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2")
                    .bind(user_id)
                    .bind(blocked_id)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Whether `user_id` blocks `other_id`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn blocks(&self, user_id: i64, other_id: i64) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM blocks WHERE user_id = $1 AND blocked_id = $2")
                .bind(user_id)
                .bind(other_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Whether someone else in the DM room `room_id` blocks `user_id`, or is blocked by them.
    ///
    /// # Errors
    /// Database failures.
    pub async fn dm_blocked(&self, room_id: i64, user_id: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM room_members m JOIN blocks b \
               ON (b.user_id = m.user_id AND b.blocked_id = $2) \
               OR (b.user_id = $2 AND b.blocked_id = m.user_id) \
             WHERE m.room_id = $1 AND m.user_id <> $2 LIMIT 1",
        )
        .bind(room_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Whom `user_id` blocks, by name (case-insensitively).
    ///
    /// # Errors
    /// Database failures.
    pub async fn blocked_by(&self, user_id: i64) -> Result<Vec<Author>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT u.id, u.username FROM blocks b JOIN users u ON u.id = b.blocked_id \
             WHERE b.user_id = $1 AND u.deleted_at IS NULL",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        let mut people: Vec<Author> = rows
            .into_iter()
            .map(|(id, username)| Author { id, username })
            .collect();
        people.sort_by_cached_key(|a| (a.username.to_lowercase(), a.id));
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use crate::{Store, StoreError};

    #[tokio::test]
    async fn blocks_are_one_way_bounded_and_undone() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        let eve = store.create_guest("eve", 0).await.unwrap();
        let zed = store.create_guest("Zed", 0).await.unwrap();
        assert!(store.block(ana.id, eve.id, 2, 1).await.unwrap());
        assert!(!store.block(ana.id, eve.id, 2, 2).await.unwrap(), "once");
        assert!(store.blocks(ana.id, eve.id).await.unwrap());
        assert!(!store.blocks(eve.id, ana.id).await.unwrap(), "one way");
        assert!(store.block(ana.id, zed.id, 2, 3).await.unwrap());
        let bob = store.create_guest("bob", 0).await.unwrap();
        assert!(matches!(
            store.block(ana.id, bob.id, 2, 4).await,
            Err(StoreError::Conflict)
        ));
        assert_eq!(
            store
                .blocked_by(ana.id)
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.username)
                .collect::<Vec<_>>(),
            ["eve", "Zed"]
        );
        // The DM with someone she blocks leaves her directory, not theirs.
        let dm = store.dm_room(ana.id, eve.id, 5).await.unwrap();
        let listed = |user: i64| {
            let store = store.clone();
            async move {
                store
                    .visible_rooms(user)
                    .await
                    .unwrap()
                    .iter()
                    .any(|room| room.id == dm.id)
            }
        };
        assert!(!listed(ana.id).await);
        assert!(listed(eve.id).await);
        assert!(store.dm_blocked(dm.id, eve.id).await.unwrap());
        assert!(store.dm_blocked(dm.id, ana.id).await.unwrap());
        assert!(store.unblock(ana.id, eve.id).await.unwrap());
        assert!(listed(ana.id).await);
        assert!(!store.dm_blocked(dm.id, eve.id).await.unwrap());
        assert!(!store.unblock(ana.id, eve.id).await.unwrap());
        assert!(!store.blocks(ana.id, eve.id).await.unwrap());
    }
}
