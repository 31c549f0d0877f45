//! Accounts: guests, members and admins.

use protocol::{Role, User};
use sqlx::FromRow;

use crate::{Result, Store, StoreError};

/// A user with the stored password hash (for login only; never sent to clients).
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// The public part.
    pub user: User,
    /// PHC-format argon2 hash; `None` for guests.
    pub password_hash: Option<String>,
}

#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    role: String,
    password_hash: Option<String>,
}

impl From<UserRow> for UserRecord {
    fn from(row: UserRow) -> Self {
        Self {
            user: User {
                id: row.id,
                username: row.username,
                // The CHECK constraint allows only the three roles.
                role: Role::parse(&row.role).unwrap_or(Role::Guest),
            },
            password_hash: row.password_hash,
        }
    }
}

impl Store {
    /// Creates a guest with a free name.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken (case-insensitively).
    pub async fn create_guest(&self, username: &str, now: i64) -> Result<User> {
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (username, username_key, password_hash, role, created_at) \
             VALUES ($1, $2, NULL, 'guest', $3) \
             RETURNING id, username, role, password_hash",
        )
        .bind(username)
        .bind(protocol::validate::name_key(username))
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from_insert)?;
        Ok(UserRecord::from(row).user)
    }

    /// Registers an account; the first registered account of the database becomes `admin`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken (case-insensitively).
    pub async fn create_account(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<User> {
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (username, username_key, password_hash, role, created_at) \
             SELECT $1, $2, $3, \
                    CASE WHEN EXISTS (SELECT 1 FROM users WHERE role <> 'guest') \
                         THEN 'member' ELSE 'admin' END, \
                    $4 \
             RETURNING id, username, role, password_hash",
        )
        .bind(username)
        .bind(protocol::validate::name_key(username))
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::from_insert)?;
        Ok(UserRecord::from(row).user)
    }

    /// Looks a user up by name, case-insensitively.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, role, password_hash FROM users WHERE username_key = $1",
        )
        .bind(protocol::validate::name_key(username))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(UserRecord::from))
    }

    /// Looks a user up by id.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, username, role, password_hash FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| UserRecord::from(r).user))
    }

    /// Changes a user's role; `None` when there is no such user.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET role = $1 WHERE id = $2 RETURNING id, username, role, password_hash",
        )
        .bind(role.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| UserRecord::from(r).user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_account_is_admin_and_later_ones_members() {
        let store = Store::in_memory().await.unwrap();
        let guest = store.create_guest("visitor", 1).await.unwrap();
        assert_eq!(guest.role, Role::Guest);
        let first = store.create_account("ana", "hash", 1).await.unwrap();
        let second = store.create_account("bea", "hash", 2).await.unwrap();
        assert_eq!(first.role, Role::Admin);
        assert_eq!(second.role, Role::Member);
    }

    #[tokio::test]
    async fn names_are_unique_case_insensitively() {
        let store = Store::in_memory().await.unwrap();
        store.create_guest("Ana", 1).await.unwrap();
        assert!(matches!(
            store.create_guest("ana", 2).await,
            Err(StoreError::Conflict)
        ));
        assert!(matches!(
            store.create_account("ANA", "h", 2).await,
            Err(StoreError::Conflict)
        ));
        let found = store.user_by_name("aNa").await.unwrap().unwrap();
        assert_eq!(found.user.username, "Ana");
        assert_eq!(found.password_hash, None);
    }

    #[tokio::test]
    async fn roles_can_change() {
        let store = Store::in_memory().await.unwrap();
        let user = store.create_account("ana", "h", 1).await.unwrap();
        let changed = store
            .set_role(user.id, Role::Member)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(changed.role, Role::Member);
        assert_eq!(
            store.user_by_id(user.id).await.unwrap().unwrap().role,
            Role::Member
        );
        assert!(store.set_role(999, Role::Admin).await.unwrap().is_none());
    }
}
