//! What slows down guessing one account's password: failed sign-ins counted per name, and the
//! browsers an account signed in from before (known devices), which are not held back.

use crate::{Result, Store};

/// Known devices remembered per account (the most recently used).
pub const KNOWN_DEVICES_MAX: i64 = 20;

impl Store {
    /// Until when (ms) sign-ins to the name with key `name_key` are held back, if they are at
    /// `now`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn sign_in_blocked_until(&self, name_key: &str, now: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT blocked_until FROM login_failures WHERE name_key = $1 AND blocked_until > $2",
        )
        .bind(name_key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Counts a failed sign-in to `name_key` at `now` (the count starts again when the last
    /// failure is older than `window_start`) and holds the name back for `delay(failures)`
    /// ms; the number of failures so far.
    ///
    /// # Errors
    /// Database failures.
    pub async fn record_sign_in_failure(
        &self,
        name_key: &str,
        now: i64,
        window_start: i64,
        delay: impl Fn(u32) -> i64,
    ) -> Result<u32> {
        let failures: i64 = self
            .write(async |conn| {
                sqlx::query_scalar(
                    "INSERT INTO login_failures (name_key, failures, last_failed_at, blocked_until) \
                     VALUES ($1, 1, $2, $2) \
                     ON CONFLICT (name_key) DO UPDATE SET \
                       failures = CASE WHEN login_failures.last_failed_at < $3 THEN 1 \
                                       ELSE login_failures.failures + 1 END, \
                       last_failed_at = $2 \
                     RETURNING failures",
                )
                .bind(name_key)
                .bind(now)
                .bind(window_start)
                .fetch_one(conn)
                .await
            })
            .await?;
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        let until = now + delay(failures);
        self.write(async |conn| {
            sqlx::query("UPDATE login_failures SET blocked_until = $1 WHERE name_key = $2")
                .bind(until)
                .bind(name_key)
                .execute(conn)
                .await
        })
        .await?;
        Ok(failures)
    }

    /// Forgets the failed sign-ins of `name_key` (after a successful one).
    ///
    /// # Errors
    /// Database failures.
    pub async fn clear_sign_in_failures(&self, name_key: &str) -> Result<()> {
        self.write(async |conn| {
            sqlx::query("DELETE FROM login_failures WHERE name_key = $1")
                .bind(name_key)
                .execute(conn)
                .await
        })
        .await?;
        Ok(())
    }

    /// Forgets failures older than `before` (housekeeping); how many names.
    ///
    /// # Errors
    /// Database failures.
    pub async fn prune_sign_in_failures(&self, before: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "DELETE FROM login_failures WHERE last_failed_at < $1 AND blocked_until < $1",
                )
                .bind(before)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected())
    }

    /// Whether the device whose cookie hashes to `token_hash` signed in to `user_id` before;
    /// if so it counts as used at `now`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn known_device(&self, user_id: i64, token_hash: &str, now: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE known_devices SET last_used_at = $1 \
                     WHERE token_hash = $2 AND user_id = $3",
                )
                .bind(now)
                .bind(token_hash)
                .bind(user_id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Remembers a device `user_id` signed in from (the oldest beyond
    /// [`KNOWN_DEVICES_MAX`] are forgotten).
    ///
    /// # Errors
    /// Database failures.
    pub async fn remember_device(&self, user_id: i64, token_hash: &str, now: i64) -> Result<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO known_devices (token_hash, user_id, last_used_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM known_devices WHERE user_id = $1 AND token_hash NOT IN \
             (SELECT token_hash FROM known_devices WHERE user_id = $1 \
              ORDER BY last_used_at DESC, token_hash LIMIT $2)",
        )
        .bind(user_id)
        .bind(KNOWN_DEVICES_MAX)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[tokio::test]
    async fn failures_hold_a_name_back_and_start_again_after_the_window() {
        let store = Store::in_memory().await.unwrap();
        let delay = |failures: u32| if failures >= 3 { 1_000 } else { 0 };
        for n in 1..=2 {
            assert_eq!(
                store
                    .record_sign_in_failure("ana", 10, 0, delay)
                    .await
                    .unwrap(),
                n
            );
        }
        assert_eq!(store.sign_in_blocked_until("ana", 11).await.unwrap(), None);
        assert_eq!(
            store
                .record_sign_in_failure("ana", 20, 0, delay)
                .await
                .unwrap(),
            3
        );
        assert_eq!(
            store.sign_in_blocked_until("ana", 21).await.unwrap(),
            Some(1_020)
        );
        assert_eq!(store.sign_in_blocked_until("bea", 21).await.unwrap(), None);
        assert_eq!(
            store.sign_in_blocked_until("ana", 1_020).await.unwrap(),
            None
        );
        // A failure after the window counts from one again.
        assert_eq!(
            store
                .record_sign_in_failure("ana", 5_000, 4_000, delay)
                .await
                .unwrap(),
            1
        );
        store.clear_sign_in_failures("ana").await.unwrap();
        assert_eq!(
            store
                .record_sign_in_failure("ana", 5_001, 0, delay)
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.prune_sign_in_failures(6_000).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn known_devices_are_per_account_and_bounded() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_account("ana", "h", 0).await.unwrap();
        let bea = store.create_account("bea", "h", 0).await.unwrap();
        store.remember_device(ana.id, "d0", 0).await.unwrap();
        assert!(store.known_device(ana.id, "d0", 1).await.unwrap());
        assert!(
            !store.known_device(bea.id, "d0", 1).await.unwrap(),
            "ana's, not bea's"
        );
        assert!(!store.known_device(ana.id, "other", 1).await.unwrap());
        for n in 1..=super::KNOWN_DEVICES_MAX {
            store
                .remember_device(ana.id, &format!("d{n}"), 10 + n)
                .await
                .unwrap();
        }
        assert!(
            !store.known_device(ana.id, "d0", 100).await.unwrap(),
            "the oldest went"
        );
        assert!(store.known_device(ana.id, "d1", 100).await.unwrap());
    }
}
