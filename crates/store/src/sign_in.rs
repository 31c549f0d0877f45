//! What slows down guessing one account's password: failed sign-ins counted per name, and the
//! browsers an account signed in from before (known devices), which are not held back.

use crate::{Result, Store};

/// Known devices remembered per account (the most recently used).
pub const KNOWN_DEVICES_MAX: i64 = 20;

impl Store {
    /// Claims a sign-in attempt to the name with key `name_key` at `now`, before its password
    /// is checked: if the name is held back, `Err(until)` and nothing changes; otherwise the
    /// attempt is counted as a failure in advance (a success clears it) and the name is held
    /// back for `delay(failures)` ms, in one statement, so concurrent guesses cannot all slip
    /// through while the first is being hashed. The count starts again when the last failure is
    /// older than `window_start`. `delay` is read for counts up to 64 (past that, its value at
    /// 64). `attempt` is a value unique to this attempt: the row keeps it when the attempt is
    /// counted, which is how a counted attempt is told from a refused one.
    ///
    /// # Errors
    /// Database failures.
    pub async fn claim_sign_in(
        &self,
        name_key: &str,
        attempt: &str,
        now: i64,
        window_start: i64,
        delay: impl Fn(u32) -> i64,
    ) -> Result<std::result::Result<u32, i64>> {
        // The new count, from the row's old values (a held-back name keeps its count).
        let counted = "CASE WHEN login_failures.last_failed_at < $3 THEN 1 \
                       ELSE login_failures.failures + 1 END";
        let delays: String = (1..=64_u32)
            .map(|n| format!(" WHEN {n} THEN {}", delay(n).max(0)))
            .collect();
        let held_for = format!("(CASE {counted}{delays} ELSE {} END)", delay(64).max(0));
        let sql = format!(
            "INSERT INTO login_failures (name_key, failures, last_failed_at, blocked_until, claim) \
             VALUES ($1, 1, $2, $2 + {first}, $4) \
             ON CONFLICT (name_key) DO UPDATE SET \
               failures = CASE WHEN login_failures.blocked_until > $2 \
                               THEN login_failures.failures ELSE {counted} END, \
               last_failed_at = CASE WHEN login_failures.blocked_until > $2 \
                                     THEN login_failures.last_failed_at ELSE $2 END, \
               blocked_until = CASE WHEN login_failures.blocked_until > $2 \
                                    THEN login_failures.blocked_until ELSE $2 + {held_for} END, \
               claim = CASE WHEN login_failures.blocked_until > $2 \
                            THEN login_failures.claim ELSE $4 END \
             RETURNING failures, blocked_until, claim",
            first = delay(1).max(0),
        );
        let (failures, until, claim): (i64, i64, Option<String>) = self
            .write(async |conn| {
                sqlx::query_as(&sql)
                    .bind(name_key)
                    .bind(now)
                    .bind(window_start)
                    .bind(attempt)
                    .fetch_one(conn)
                    .await
            })
            .await?;
        if claim.as_deref() == Some(attempt) {
            Ok(Ok(u32::try_from(failures).unwrap_or(u32::MAX)))
        } else {
            Ok(Err(until))
        }
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

    /// Forgets every known device of `user_id` (its password changed: a browser that knew the
    /// old one is no longer trusted); how many.
    ///
    /// # Errors
    /// Database failures.
    pub async fn forget_devices(&self, user_id: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM known_devices WHERE user_id = $1")
                    .bind(user_id)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected())
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
    async fn attempts_are_claimed_and_held_back_and_start_again_after_the_window() {
        let store = Store::in_memory().await.unwrap();
        let delay = |failures: u32| if failures >= 3 { 1_000 } else { 0 };
        for n in 1..=2 {
            assert_eq!(
                store
                    .claim_sign_in("ana", &format!("a{n}"), 10 + n, 0, delay)
                    .await
                    .unwrap(),
                Ok(n as u32)
            );
        }
        // The third attempt is counted and holds the name back for a second.
        assert_eq!(
            store
                .claim_sign_in("ana", "a3", 20, 0, delay)
                .await
                .unwrap(),
            Ok(3)
        );
        assert_eq!(
            store
                .claim_sign_in("ana", "a4", 21, 0, delay)
                .await
                .unwrap(),
            Err(1_020),
            "held back: refused, nothing counted"
        );
        assert_eq!(
            store
                .claim_sign_in("bea", "b1", 21, 0, delay)
                .await
                .unwrap(),
            Ok(1)
        );
        // Once the hold is over, the next attempt is counted again (and holds again).
        assert_eq!(
            store
                .claim_sign_in("ana", "a5", 1_020, 0, delay)
                .await
                .unwrap(),
            Ok(4)
        );
        // A failure after the window counts from one again.
        assert_eq!(
            store
                .claim_sign_in("ana", "a6", 9_000, 5_000, delay)
                .await
                .unwrap(),
            Ok(1)
        );
        store.clear_sign_in_failures("ana").await.unwrap();
        assert_eq!(
            store
                .claim_sign_in("ana", "a7", 9_001, 0, delay)
                .await
                .unwrap(),
            Ok(1)
        );
        assert_eq!(store.prune_sign_in_failures(10_000).await.unwrap(), 2);
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
        assert_eq!(store.forget_devices(ana.id).await.unwrap(), 20);
        assert!(!store.known_device(ana.id, "d1", 101).await.unwrap());
    }
}
