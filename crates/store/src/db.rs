//! Connecting, configuring and migrating the database.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Executor};

use crate::group_commit::GroupCommit;
use crate::observe::{Observer, Watch};
use crate::pool::Pool;
use crate::{Result, StoreError};

pub(crate) static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database the URL selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (the default).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// The backend a URL names.
    ///
    /// # Errors
    /// [`StoreError::UnsupportedUrl`] for any other scheme.
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}

/// The database handle: a connection pool plus the backend it talks to. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    backend: Backend,
    /// New messages on SQLite go through one writer that commits them in batches.
    pub(crate) group_commit: Option<GroupCommit>,
}

impl Store {
    /// Connects to `url` and applies pending migrations.
    ///
    /// For SQLite the file's directory is created if missing, WAL journaling is switched on,
    /// writers wait up to 10 s for a lock, and the task that commits new messages in batches
    /// is started on the current runtime.
    ///
    /// # Errors
    /// [`StoreError`] when the URL is unsupported, the directory cannot be created, the
    /// database cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> Result<Self> {
        let backend = Backend::from_url(url)?;
        if backend == Backend::Sqlite {
            create_sqlite_dir(url)?;
        }
        sqlx::any::install_default_drivers();
        let pool = pool_options(backend).connect(url).await?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        if let Err(error) = migrator.run(&pool).await {
            return Err(match error {
                // A migration applied to the database that this build does not have: a newer
                // Tertulia upgraded it. Refuse rather than run on a schema we do not know.
                sqlx::migrate::MigrateError::VersionMissing(missing) => {
                    let newest: Option<i64> =
                        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
                            .fetch_one(&pool)
                            .await
                            .unwrap_or(None);
                    StoreError::NewerSchema {
                        database: newest.unwrap_or(missing),
                        known: crate::known_schema(backend),
                    }
                }
                other => StoreError::Migrate(other),
            });
        }
        let pool = Pool::new(pool, Watch::default());
        let group_commit = (backend == Backend::Sqlite).then(|| GroupCommit::start(pool.clone()));
        let store = Self {
            pool,
            backend,
            group_commit,
        };
        store.rekey_names().await?;
        store.fill_display_name_keys().await?;
        Ok(store)
    }

    /// A transaction that will write: on SQLite it takes the database's write lock at once
    /// (`BEGIN IMMEDIATE`, waiting up to busy_timeout), so a read inside it can never have to
    /// upgrade to a write (which SQLite refuses at once when another writer got in first).
    pub(crate) async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let asked = std::time::Instant::now();
        let tx = match self.backend {
            Backend::Postgres => self.pool.begin().await?,
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
        };
        if let Some(observer) = self.pool.watch.get() {
            observer.transaction_began(asked.elapsed());
        }
        Ok(tx)
    }

    /// Reports this store's timings (statements, transaction waits, group-commit batches) to
    /// `observer` from now on, in place of any observer set before.
    pub fn observe(&self, observer: std::sync::Arc<dyn Observer>) {
        self.pool.watch.set(observer);
    }

    /// Serialises writers that read-then-write across tables (first admin, last admin, name
    /// re-keying) for the rest of the transaction: PostgreSQL takes a transaction-scoped
    /// advisory lock, SQLite its database write lock.
    pub(crate) async fn lock_writers(&self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        let lock = match self.backend {
            Backend::Postgres => "SELECT pg_advisory_xact_lock(7105113)",
            // A write as the transaction's first statement takes SQLite's write lock now
            // (waiting up to busy_timeout), before anything is read: no stale snapshot.
            Backend::Sqlite => "UPDATE meta SET value = value WHERE key = '~writers'",
        };
        sqlx::query(lock).execute(&mut *conn).await?;
        Ok(())
    }

    /// Serialises the transactions on `conn` that name the same `space` and `id` (a room's
    /// pins, a person's saved list) for the rest of the transaction: a PostgreSQL
    /// transaction-scoped advisory lock; nothing on SQLite, whose write transactions run one at
    /// a time already ([`Self::write_tx`]).
    pub(crate) async fn lock_key(
        &self,
        conn: &mut sqlx::AnyConnection,
        space: LockSpace,
        id: i64,
    ) -> Result<()> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))")
                .bind(space as i32)
                .bind(i32::try_from(id.rem_euclid(i64::from(i32::MAX))).unwrap_or(0))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// A fresh, migrated, private in-memory SQLite database (for tests).
    ///
    /// # Errors
    /// As [`Store::connect`].
    pub async fn in_memory() -> Result<Self> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // A named shared-cache database: every pooled connection sees the same data.
        let url = format!(
            "sqlite:file:tertulia_mem_{}_{n}?mode=memory&cache=shared",
            std::process::id()
        );
        Self::connect(&url).await
    }

    /// The backend in use.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// [`StoreError::Database`] when it does not.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Runs raw SQL statements (for tests and maintenance; never with user input).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<()> {
        self.write(async |conn| sqlx::raw_sql(sql).execute(conn).await)
            .await?;
        Ok(())
    }

    /// Runs one autocommit write on a pooled connection (see [`write_on`]).
    pub(crate) async fn write<T>(
        &self,
        run: impl AsyncFnOnce(&mut AnyConnection) -> sqlx::Result<T>,
    ) -> sqlx::Result<T> {
        let _timer = self.pool.watch.statement();
        write_on(&self.pool, run).await
    }

    /// The pool's connections now: (open, idle).
    #[must_use]
    pub fn connections(&self) -> (u32, u32) {
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        (self.pool.size(), idle)
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Pool settings for `backend`: at most 4 connections to SQLite (one writes at a time; the
/// others read), 16 to PostgreSQL.
///
/// SQLite connections get WAL journaling, `synchronous = NORMAL`, a 10 s busy timeout and
/// foreign keys, and are not pinged when acquired (sqlx pings by default, and on release
/// whatever the settings): a ping is a round trip to the connection's thread per query and
/// cannot fail for an embedded database.
fn pool_options(backend: Backend) -> AnyPoolOptions {
    let max = match backend {
        Backend::Sqlite => 4,
        Backend::Postgres => 16,
    };
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                if conn.backend_name() == "SQLite" {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
}

/// `$first, $first+1, ...`: `count` numbered placeholders, for a list bound one value each
/// (`IN (...)`).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a [`Store::lock_key`] lock is about (PostgreSQL advisory lock spaces; 2 is a room's
/// message inserts, see `messages.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum LockSpace {
    /// A room's pins.
    Pins = 3,
    /// A person's saved messages.
    Saved = 4,
    /// A room's webhooks.
    Webhooks = 5,
    /// A person's bots (key: the owner), and the bot commands' names (key: 0).
    Bots = 6,
}

/// Runs one autocommit write on a connection from `pool`.
///
/// On SQLite a connection whose statement failed is closed instead of going back to the pool:
/// a statement SQLite refuses (a foreign key, a unique index) can leave its connection reading
/// the database as it was at that moment (plain SQLite does it too, not only through sqlx), so
/// whoever got it next would miss what was stored since. The pool opens a new one when one is
/// next needed. PostgreSQL connections are kept: a failed statement does not leave them stale,
/// and reconnecting costs a network handshake.
pub(crate) async fn write_on<T>(
    pool: &AnyPool,
    run: impl AsyncFnOnce(&mut AnyConnection) -> sqlx::Result<T>,
) -> sqlx::Result<T> {
    let mut conn = pool.acquire().await?;
    let result = run(&mut *conn).await;
    if result.is_err() && conn.backend_name() == "SQLite" {
        conn.close_on_drop();
    }
    result
}

/// Creates the directory of a file-backed SQLite URL (`sqlite://data/x.db?mode=rwc`).
fn create_sqlite_dir(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or_default();
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || path.starts_with("file:") {
        return Ok(());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_from_first() {
        assert_eq!(placeholders(1, 1), "$1");
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
    }

    #[test]
    fn backend_from_url() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("sqlite::memory:").unwrap(),
            Backend::Sqlite
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
    }

    #[tokio::test]
    async fn creates_the_data_directory_and_migrates_twice() {
        let dir = std::env::temp_dir().join(format!("tertulia-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let url = format!("sqlite://{}/nested/chat.db?mode=rwc", dir.display());
        let store = Store::connect(&url).await.unwrap();
        store.ping().await.unwrap();
        store.close().await;
        // Re-opening applies no migration twice.
        let store = Store::connect(&url).await.unwrap();
        assert!(store.room_by_name("general").await.unwrap().is_some());
        store.close().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
