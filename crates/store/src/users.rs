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
    /// Banned by an admin: cannot sign in, has no live session.
    pub banned: bool,
    /// A webhook's bot (v1.19): posts through its webhook only; nobody writes to it.
    pub bot: bool,
}

#[derive(FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    role: String,
    password_hash: Option<String>,
    banned_at: Option<i64>,
    /// Read where a query selects it (by name); elsewhere 0.
    #[sqlx(default)]
    bot: i64,
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
            banned: row.banned_at.is_some(),
            bot: row.bot != 0,
        }
    }
}

/// The key a released guest keeps: it starts with `~`, which no name can, so the name is free
/// (`release_idle_guests` spells the same in SQL).
fn released_key(id: i64) -> String {
    format!("~g{id}")
}

impl Store {
    /// Creates a guest with a free name.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken (case-insensitively, look-alikes too).
    pub async fn create_guest(&self, username: &str, now: i64) -> Result<User> {
        let row: UserRow = self
            .write(async |conn| {
                sqlx::query_as(
                    "INSERT INTO users (username, username_key, password_hash, role, created_at) \
             VALUES ($1, $2, NULL, 'guest', $3) \
             RETURNING id, username, role, password_hash, banned_at",
                )
                .bind(username)
                .bind(crate::name_key(username))
                .bind(now)
                .fetch_one(conn)
                .await
            })
            .await
            .map_err(StoreError::from_insert)?;
        Ok(UserRecord::from(row).user)
    }

    /// Registers an account; the first registered account of the database becomes `admin`.
    /// Concurrent first registrations cannot both win: the check and the insert run under
    /// the writers' lock.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the name is taken (case-insensitively, look-alikes too).
    pub async fn create_account(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<User> {
        let mut tx = self.write_tx().await?;
        self.lock_writers(&mut tx).await?;
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (username, username_key, password_hash, role, created_at) \
             SELECT $1, $2, $3, \
                    CASE WHEN EXISTS (SELECT 1 FROM users WHERE role <> 'guest' AND bot = 0) \
                         THEN 'member' ELSE 'admin' END, \
                    $4 \
             RETURNING id, username, role, password_hash, banned_at",
        )
        .bind(username)
        .bind(crate::name_key(username))
        .bind(password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from_insert)?;
        tx.commit().await?;
        Ok(UserRecord::from(row).user)
    }

    /// Looks a user up by name (case-insensitively, look-alikes folded); released guests are
    /// not found.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, role, password_hash, banned_at, bot FROM users \
             WHERE username_key = $1",
        )
        .bind(crate::name_key(username))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(UserRecord::from))
    }

    /// A user's record by id (with the password hash).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn user_record(&self, id: i64) -> Result<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, role, password_hash, banned_at, bot FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(UserRecord::from))
    }

    /// Replaces a registered account's password hash; whether the account exists.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn set_password(&self, id: i64, password_hash: &str) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE users SET password_hash = $1 \
                     WHERE id = $2 AND password_hash IS NOT NULL",
                )
                .bind(password_hash)
                .bind(id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Looks a user up by id.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, username, role, password_hash, banned_at, bot FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| UserRecord::from(r).user))
    }

    /// Changes a user's role; `None` when there is no such user.
    ///
    /// # Errors
    /// [`StoreError::LastAdmin`] when this would demote the only admin;
    /// [`StoreError::Database`] on failure.
    pub async fn set_role(&self, id: i64, role: Role) -> Result<Option<User>> {
        let mut tx = self.write_tx().await?;
        self.lock_writers(&mut tx).await?;
        if role != Role::Admin {
            let (is_admin, admins): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM users WHERE id = $1 AND role = 'admin'), \
                        (SELECT COUNT(*) FROM users WHERE role = 'admin')",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if is_admin > 0 && admins <= 1 {
                return Err(StoreError::LastAdmin);
            }
        }
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET role = $1 WHERE id = $2 AND bot = 0 \
             RETURNING id, username, role, password_hash, banned_at",
        )
        .bind(role.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(|r| UserRecord::from(r).user))
    }

    /// Frees a guest's name (its messages keep showing it); returns whether a name was freed.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn release_guest(&self, id: i64, now: i64) -> Result<bool> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE users SET username_key = $1, released_at = $2 \
             WHERE id = $3 AND role = 'guest' AND released_at IS NULL",
                )
                .bind(released_key(id))
                .bind(now)
                .bind(id)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Frees the names of guests without a live session who were created before
    /// `created_before` (a guest created since may be between its user row and its first
    /// session); returns how many were freed. A banned guest keeps its name (and every name
    /// that looks like it, by its key) until unbanned: a ban survives a new guest. One statement, so a session created meanwhile
    /// keeps its guest.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn release_idle_guests(&self, now: i64, created_before: i64) -> Result<u64> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE users SET username_key = '~g' || CAST(id AS TEXT), released_at = $1 \
             WHERE role = 'guest' AND released_at IS NULL AND banned_at IS NULL \
             AND created_at < $2 \
             AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = users.id \
                             AND s.revoked_at IS NULL AND s.expires_at > $1)",
                )
                .bind(now)
                .bind(created_before)
                .execute(conn)
                .await
            })
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes guests released before `before` that left nothing behind (no message, no
    /// room, no upload: an unsent upload's bytes are removed with its row, by
    /// [`Store::take_unsent_files`], before its guest can go); returns how many were deleted,
    /// and the ids of their profile pictures, whose bytes are to go.
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn delete_forgotten_guests(&self, before: i64) -> Result<(u64, Vec<String>)> {
        let pictures: Vec<Option<String>> = self
            .write(async |conn| {
                sqlx::query_scalar(
                    "DELETE FROM users WHERE role = 'guest' AND released_at IS NOT NULL \
             AND released_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = users.id) \
             AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.created_by = users.id) \
             AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.user_id = users.id) \
             RETURNING avatar",
                )
                .bind(before)
                .fetch_all(conn)
                .await
            })
            .await?;
        let deleted = pictures.len() as u64;
        Ok((deleted, pictures.into_iter().flatten().collect()))
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
    async fn lookalike_names_collide() {
        let store = Store::in_memory().await.unwrap();
        store.create_guest("admin", 1).await.unwrap();
        assert!(matches!(
            store.create_guest("\u{0430}dmin", 2).await,
            Err(StoreError::Conflict)
        ));
        assert!(matches!(
            store.create_account("ADMIN", "h", 2).await,
            Err(StoreError::Conflict)
        ));
    }

    #[tokio::test]
    async fn released_guests_free_their_name_and_keep_their_messages() {
        let store = Store::in_memory().await.unwrap();
        let guest = store.create_guest("ana", 1).await.unwrap();
        assert_eq!(
            store.release_idle_guests(2, 1).await.unwrap(),
            0,
            "just created, its session not stored yet"
        );
        store
            .create_session(guest.id, "h", None, 1, 100)
            .await
            .unwrap();
        assert_eq!(
            store.release_idle_guests(50, 50).await.unwrap(),
            0,
            "still signed in"
        );
        assert_eq!(
            store.release_idle_guests(100, 100).await.unwrap(),
            1,
            "session expired"
        );
        assert_eq!(
            store.user_by_id(guest.id).await.unwrap().unwrap().username,
            "ana"
        );
        assert!(store.user_by_name("ana").await.unwrap().is_none());
        let again = store.create_guest("ana", 101).await.unwrap();
        assert_ne!(again.id, guest.id);
        assert_eq!(
            store.user_by_id(guest.id).await.unwrap().unwrap().username,
            "ana",
            "old messages keep their author's name"
        );
        assert_eq!(store.delete_forgotten_guests(1_000).await.unwrap().0, 1);
        assert!(store.user_by_id(guest.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_banned_guest_keeps_its_name_and_its_look_alikes_until_unbanned() {
        let store = Store::in_memory().await.unwrap();
        // A refused write closes its connection (see `write_on`); an in-memory database lives
        // only while a connection is open, so one stays open for the test.
        let _keep = store.pool.acquire().await.unwrap();
        let eve = store.create_guest("eve", 1).await.unwrap();
        store
            .create_session(eve.id, "h", None, 1, 100)
            .await
            .unwrap();
        assert!(store.set_banned(eve.id, true, 2).await.unwrap());
        // Its sessions are over, yet its name is not freed.
        assert_eq!(store.release_idle_guests(200, 200).await.unwrap(), 0);
        for name in ["eve", "EVE", "еve"] {
            // (the last with a Cyrillic е)
            assert!(
                matches!(
                    store.create_guest(name, 201).await,
                    Err(StoreError::Conflict)
                ),
                "{name}"
            );
        }
        assert!(store.set_banned(eve.id, false, 300).await.unwrap());
        assert_eq!(store.release_idle_guests(300, 300).await.unwrap(), 1);
        store.create_guest("eve", 301).await.unwrap();
    }

    #[tokio::test]
    async fn a_guest_with_an_unsent_upload_stays_until_the_upload_is_swept() {
        let store = Store::in_memory().await.unwrap();
        let guest = store.create_guest("ana", 1).await.unwrap();
        let room = store
            .room_by_name(protocol::events::GENERAL_ROOM)
            .await
            .unwrap()
            .unwrap();
        store
            .insert_file(&crate::NewFile {
                id: "f".repeat(32),
                room_id: room.id,
                user_id: guest.id,
                name: "notes.txt".into(),
                size: 10,
                content_type: "text/plain".into(),
                preview_type: None,
                ts: 2,
                client_addr: None,
            })
            .await
            .unwrap();
        assert!(store.release_guest(guest.id, 3).await.unwrap());
        // Deleting the guest would take the upload's row with it and leave its bytes behind.
        assert_eq!(store.delete_forgotten_guests(1_000).await.unwrap().0, 0);
        assert_eq!(
            store.take_unsent_files(1_000).await.unwrap(),
            ["f".repeat(32)]
        );
        assert_eq!(store.delete_forgotten_guests(1_000).await.unwrap().0, 1);
    }

    #[tokio::test]
    async fn the_last_admin_cannot_be_demoted() {
        let store = Store::in_memory().await.unwrap();
        let ana = store.create_account("ana", "h", 1).await.unwrap();
        let bea = store.create_account("bea", "h", 2).await.unwrap();
        assert!(matches!(
            store.set_role(ana.id, Role::Member).await,
            Err(StoreError::LastAdmin)
        ));
        store.set_role(bea.id, Role::Admin).await.unwrap();
        assert!(
            store
                .set_role(ana.id, Role::Member)
                .await
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            store.set_role(bea.id, Role::Member).await,
            Err(StoreError::LastAdmin)
        ));
    }

    #[tokio::test]
    async fn roles_can_change() {
        let store = Store::in_memory().await.unwrap();
        let user = store.create_account("ana", "h", 1).await.unwrap();
        let bea = store.create_account("bea", "h", 1).await.unwrap();
        store.set_role(bea.id, Role::Admin).await.unwrap();
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
