//! What backup, restore and upgrades need from the database without opening it as a
//! [`Store`](crate::Store) (which would migrate it): which schema it has, whether it is empty,
//! and for SQLite a consistent copy taken while the server keeps writing.

use std::path::{Path, PathBuf};

use sqlx::{AnyConnection, Connection};

use crate::db::{Backend, POSTGRES_MIGRATOR, SQLITE_MIGRATOR};
use crate::{Result, StoreError};

/// The newest schema (migration version) this build knows for `backend`.
#[must_use]
pub fn known_schema(backend: Backend) -> i64 {
    let migrator = match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The file of a file-backed SQLite URL (`sqlite://data/x.db?mode=rwc` → `data/x.db`); `None`
/// for in-memory databases and other URLs.
#[must_use]
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || path.starts_with("file:") {
        return None;
    }
    Some(PathBuf::from(path))
}

/// One connection to `url`, opening an existing database only (never creating one).
async fn open_existing(url: &str) -> Result<AnyConnection> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)?;
    let url = match backend {
        Backend::Sqlite => {
            let path = sqlite_path(url).ok_or(StoreError::UnsupportedUrl)?;
            if !path.is_file() {
                return Err(StoreError::NoDatabase(path.display().to_string()));
            }
            format!("sqlite://{}?mode=rw", path.display())
        }
        Backend::Postgres => url.to_owned(),
    };
    Ok(AnyConnection::connect(&url).await?)
}

/// The schema version of the database at `url` (the newest migration applied to it), or
/// `None` when it has no Tertulia tables yet. Opens it without migrating anything.
///
/// # Errors
/// [`StoreError::NoDatabase`] when a SQLite file does not exist; a database failure.
pub async fn schema_of(url: &str) -> Result<Option<i64>> {
    let mut conn = open_existing(url).await?;
    let has_table: Option<i64> =
        match Backend::from_url(url)? {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            )
            .fetch_optional(&mut conn)
            .await?,
            Backend::Postgres => {
                sqlx::query_scalar(
                    "SELECT 1::BIGINT FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                )
                .fetch_optional(&mut conn)
                .await?
            }
        };
    if has_table.is_none() {
        conn.close().await?;
        return Ok(None);
    }
    let version: Option<i64> =
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(version)
}

/// How many tables the PostgreSQL database at `url` has in its schema (0: empty, a restore may
/// go there).
///
/// # Errors
/// A database failure; [`StoreError::UnsupportedUrl`] for a SQLite URL.
pub async fn postgres_tables(url: &str) -> Result<i64> {
    if Backend::from_url(url)? != Backend::Postgres {
        return Err(StoreError::UnsupportedUrl);
    }
    let mut conn = open_existing(url).await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(count)
}

/// Writes a consistent copy of the SQLite database at `url` to the new file `into`
/// (`VACUUM INTO`: one read transaction, so the copy is the database as it was at one moment,
/// whatever the server writes meanwhile; writers are not blocked in WAL mode).
///
/// # Errors
/// [`StoreError::NoDatabase`] when the file does not exist; a database failure (`into` exists).
pub async fn copy_sqlite(url: &str, into: &Path) -> Result<()> {
    let mut conn = open_existing(url).await?;
    sqlx::query("VACUUM INTO $1")
        .bind(into.display().to_string())
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_come_from_file_urls_only() {
        assert_eq!(
            sqlite_path("sqlite://data/t.db?mode=rwc"),
            Some(PathBuf::from("data/t.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:/abs/t.db"),
            Some(PathBuf::from("/abs/t.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("sqlite:file:x?mode=memory"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[tokio::test]
    async fn a_copy_has_what_was_stored_and_the_schema() {
        let dir = std::env::temp_dir().join(format!("tertulia-snap-{:x}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("live.db").display());
        let store = crate::Store::connect(&url).await.unwrap();
        store.create_account("snap", "hash", 1).await.unwrap();
        let copy = dir.join("copy.db");
        copy_sqlite(&url, &copy).await.unwrap();
        store.close().await;
        let copied = format!("sqlite://{}", copy.display());
        assert_eq!(
            schema_of(&copied).await.unwrap(),
            Some(known_schema(Backend::Sqlite))
        );
        let reopened = crate::Store::connect(&copied).await.unwrap();
        assert!(reopened.user_by_name("snap").await.unwrap().is_some());
        reopened.close().await;
        assert!(matches!(
            schema_of(&format!("sqlite://{}", dir.join("none.db").display())).await,
            Err(StoreError::NoDatabase(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
