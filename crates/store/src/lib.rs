//! Tertulia's persistence: the only crate that writes SQL.
//!
//! One [`Store`] over sqlx's `Any` driver: SQLite by default, PostgreSQL when the URL says
//! `postgres://`, chosen at run time. Migrations for each backend are embedded and run by
//! [`Store::connect`]. Queries use `$n` placeholders (both backends accept them), integer
//! millisecond timestamps and 0/1 integer flags, and return `protocol` types.
#![warn(missing_docs)]

mod blocks;
mod bookmarks;
mod bots;
mod db;
mod error;
mod files;
mod group_commit;
mod link_previews;
mod messages;
mod moderation;
mod names;
mod notifications;
mod observe;
mod people;
mod personal;
mod pins;
mod pool;
mod profiles;
mod rooms;
mod sanctions;
mod saved;
mod sessions;
mod sign_in;
mod snapshot;
mod thread_reads;
mod users;
mod webhooks;

pub use bookmarks::SavedEntry;
pub use bots::{CommandTarget, NEVER_EXPIRES, NewBot, NewCommand};
pub use db::{Backend, Store};
pub use error::StoreError;
pub use files::{FileRecord, NewFile};
pub use link_previews::{FoundPage, ReadyPreview};
pub use messages::{MessageRecord, NewMessage, Scope};
pub use moderation::NewAudit;
pub use names::{NAME_KEYS_VERSION, key as name_key};
pub use notifications::NewNotification;
pub use observe::Observer;
pub use personal::{ERASED_MESSAGES_SHOWN, ERASED_NAME, Erased, RemovedMessage};
pub use profiles::{Avatar, ProfileRecord};
pub use rooms::{RoomKind, RoomRecord, dm_name, group_dm_name};
pub use sanctions::RemovedBatch;
pub use saved::{SavedRoom, UNREAD_MAX};
pub use sign_in::KNOWN_DEVICES_MAX;
pub use snapshot::{copy_sqlite, known_schema, postgres_tables, schema_of, sqlite_path};
pub use users::UserRecord;
pub use webhooks::{NewWebhook, WebhookTarget};

/// Result of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
