use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique value (username, room name) is taken.
    #[error("already exists")]
    Conflict,
    /// The thing to change does not exist (or no longer can be changed).
    #[error("not found")]
    NotFound,
    /// A per-item cap is reached (distinct reactions on a message).
    #[error("too many")]
    TooMany,
    /// A message's `client_id` is the author's key of a message in another room: not a resend.
    #[error("client_id already used in another room")]
    ClientIdReused,
    /// The author is muted in the room until this time (ms): nothing was stored.
    #[error("muted until {0}")]
    Muted(i64),
    /// The change would leave the server without an admin.
    #[error("the last admin cannot be demoted")]
    LastAdmin,
    /// The database URL is not `sqlite:` or `postgres:`.
    #[error("unsupported database URL (expected sqlite: or postgres:)")]
    UnsupportedUrl,
    /// The data directory of a SQLite database could not be created.
    #[error("cannot create the database directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// There is no database at this path (and it was not to be created).
    #[error("no database at {0}")]
    NoDatabase(String),
    /// The database was migrated by a newer Tertulia than this one: opening it could corrupt it.
    #[error(
        "the database has schema {database}, newer than this Tertulia knows ({known}): it was \
         upgraded by a newer version; run that version (or restore a backup made before the upgrade)"
    )]
    NewerSchema {
        /// The database's newest migration.
        database: i64,
        /// The newest migration this build knows.
        known: i64,
    },
    /// Running the migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The task that stores new messages was stopped (its runtime is shutting down).
    #[error("the message writer stopped")]
    WriterStopped,
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`], anything else to `Database`.
    pub(crate) fn from_insert(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict,
            _ => Self::Database(error),
        }
    }
}
