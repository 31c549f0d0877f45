//! Server-side sessions, looked up by the SHA-256 hash of their token (the token itself is
//! never stored).

use crate::users::{UserRecord, UserRow};
use crate::{Result, Store};
use protocol::User;

impl Store {
    /// Stores a new session for `user_id`.
    ///
    /// # Errors
    /// [`crate::StoreError`] on failure (a duplicate hash is a `Conflict`).
    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(crate::StoreError::from_insert)?;
        Ok(())
    }

    /// The user of a live (unexpired, unrevoked) session.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn session_user(&self, token_hash: &str, now: i64) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT u.id, u.username, u.role, u.password_hash \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| UserRecord::from(r).user))
    }

    /// Revokes a session; returns whether a live one was revoked.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn revoke_session(&self, token_hash: &str, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_expire_and_can_be_revoked() {
        let store = Store::in_memory().await.unwrap();
        let user = store.create_guest("ana", 0).await.unwrap();
        store.create_session(user.id, "h1", 0, 100).await.unwrap();
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
        assert!(store.revoke_session("h1", 60).await.unwrap());
        assert!(!store.revoke_session("h1", 61).await.unwrap());
        assert_eq!(store.session_user("h1", 70).await.unwrap(), None, "revoked");
    }
}
