//! Server-side sessions, looked up by the SHA-256 hash of their token (the token itself is
//! never stored).

use crate::bots::BOT_IN_GOOD_STANDING;
use crate::users::{UserRecord, UserRow};
use crate::{Result, Store};
use protocol::User;

impl Store {
    /// Stores a new session for `user_id`, started from `client_addr` (an address key, kept for
    /// bans that cover the addresses an account used), if the account still exists (it may have
    /// been deleted while its owner's password was being checked).
    ///
    /// # Errors
    /// [`crate::StoreError::NotFound`] when the account is gone or deleted;
    /// [`crate::StoreError`] on failure (a duplicate hash is a `Conflict`).
    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        client_addr: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_addr) \
                     SELECT $1, $2, $3, $4, $5 \
                     WHERE EXISTS (SELECT 1 FROM users WHERE id = $2 AND deleted_at IS NULL)",
                )
                .bind(token_hash)
                .bind(user_id)
                .bind(now)
                .bind(expires_at)
                .bind(client_addr)
                .execute(conn)
                .await
            })
            .await
            .map_err(crate::StoreError::from_insert)?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }

    /// The user of a live (unexpired, unrevoked) session of an account that is not banned (a
    /// bot's: while it exists and its owner is in good standing).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        Ok(self
            .session_account(token_hash, now)
            .await?
            .map(|record| record.user))
    }

    /// As [`Self::session_user`], with whether the account is a bot.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn session_account(&self, token_hash: &str, now: i64) -> Result<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "SELECT u.id, u.username, u.role, u.password_hash, u.banned_at, u.bot \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
             AND u.banned_at IS NULL AND u.deleted_at IS NULL AND {BOT_IN_GOOD_STANDING}"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(UserRecord::from))
    }

    /// Which of these sessions are still live at `now` (not revoked or expired, their account
    /// neither banned nor deleted). One statement per 500 hashes.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn live_sessions_among(
        &self,
        token_hashes: &[String],
        now: i64,
    ) -> Result<std::collections::HashSet<String>> {
        let mut live = std::collections::HashSet::with_capacity(token_hashes.len());
        for chunk in token_hashes.chunks(500) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash IN ({}) AND s.revoked_at IS NULL AND s.expires_at > $1 \
                 AND u.banned_at IS NULL AND u.deleted_at IS NULL AND {BOT_IN_GOOD_STANDING}",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql).bind(now);
            for hash in chunk {
                query = query.bind(hash);
            }
            live.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(live)
    }

    /// Revokes a session; returns the user whose live session it was, if it was live.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn revoke_session(&self, token_hash: &str, now: i64) -> Result<Option<i64>> {
        let user: Option<i64> = self
            .write(async |conn| {
                sqlx::query_scalar(
                    "UPDATE sessions SET revoked_at = $1 \
             WHERE token_hash = $2 AND revoked_at IS NULL RETURNING user_id",
                )
                .bind(now)
                .bind(token_hash)
                .fetch_optional(conn)
                .await
            })
            .await?;
        Ok(user)
    }

    /// Revokes every live session of a user; returns how many.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn revoke_user_sessions(&self, user_id: i64, now: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected())
    }

    /// Revokes every live session of a user except the one with `keep` (its token's hash);
    /// returns the hashes of those revoked.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn revoke_other_sessions(
        &self,
        user_id: i64,
        keep: &str,
        now: i64,
    ) -> Result<Vec<String>> {
        Ok(self
            .write(async |conn| {
                sqlx::query_scalar(
                    "UPDATE sessions SET revoked_at = $1 \
             WHERE user_id = $2 AND token_hash <> $3 AND revoked_at IS NULL RETURNING token_hash",
                )
                .bind(now)
                .bind(user_id)
                .bind(keep)
                .fetch_all(conn)
                .await
            })
            .await?)
    }

    /// Live sessions of a user.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn live_sessions(&self, user_id: i64, now: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0).unsigned_abs())
    }

    /// Deletes sessions that expired, or were revoked, before `before`; returns how many.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn prune_sessions(&self, before: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
                    .bind(before)
                    .execute(conn)
                    .await
            })
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_expire_and_can_be_revoked() {
        let store = Store::in_memory().await.unwrap();
        let user = store.create_guest("ana", 0).await.unwrap();
        store
            .create_session(user.id, "h1", None, 0, 100)
            .await
            .unwrap();
        assert_eq!(
            store.session_user("h1", 50).await.unwrap(),
            Some(user.clone())
        );
        assert_eq!(
            store.session_user("h1", 100).await.unwrap(),
            None,
            "expired"
        );
        assert_eq!(store.session_user("other", 50).await.unwrap(), None);
        assert_eq!(store.live_sessions(user.id, 60).await.unwrap(), 1);
        assert_eq!(store.revoke_session("h1", 60).await.unwrap(), Some(user.id));
        assert_eq!(store.revoke_session("h1", 61).await.unwrap(), None);
        assert_eq!(store.session_user("h1", 70).await.unwrap(), None, "revoked");
        assert_eq!(store.live_sessions(user.id, 60).await.unwrap(), 0);
        store
            .create_session(user.id, "h2", None, 0, 1_000)
            .await
            .unwrap();
        assert_eq!(store.revoke_user_sessions(user.id, 80).await.unwrap(), 1);
        assert_eq!(
            store.prune_sessions(70).await.unwrap(),
            1,
            "h1 revoked at 60"
        );
        assert_eq!(store.prune_sessions(1_000).await.unwrap(), 1);
    }
}
