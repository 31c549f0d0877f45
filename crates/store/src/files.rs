//! Uploaded files (attachments): their records, which message carries them, and which uploads
//! were never sent. The bytes themselves live in the server's file store, named by id.

use std::collections::HashMap;

use protocol::{Attachment, Message, links};
use sqlx::FromRow;

use crate::{Result, Store};

/// A file just uploaded, before any message carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// Random id ([`protocol::validate::attachment_id`]), also its name in the file store.
    pub id: String,
    /// The room it was uploaded to.
    pub room_id: i64,
    /// Who uploaded it.
    pub user_id: i64,
    /// Its safe name ([`protocol::validate::file_name`]).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The type found in its content.
    pub content_type: String,
    /// The type of its preview, if one was made (images).
    pub preview_type: Option<String>,
    /// When (ms).
    pub ts: i64,
    /// The client address it came from, as per-address limits count it.
    pub client_addr: Option<String>,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct FileRecord {
    /// Its id.
    pub id: String,
    /// The room it belongs to.
    pub room_id: i64,
    /// Who uploaded it.
    pub user_id: i64,
    /// The message that carries it (`None` while not sent).
    pub message_id: Option<i64>,
    /// Its safe name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// The type found in its content.
    pub content_type: String,
    /// The type of its preview, if any.
    pub preview_type: Option<String>,
}

impl FileRecord {
    /// The file as a message shows it.
    #[must_use]
    pub fn attachment(&self) -> Attachment {
        Attachment {
            id: self.id.clone(),
            name: self.name.clone(),
            size: u64::try_from(self.size).unwrap_or(0),
            content_type: self.content_type.clone(),
            url: links::file(&self.id),
            preview_url: self
                .preview_type
                .as_ref()
                .map(|_| links::file_preview(&self.id)),
        }
    }
}

const SELECT: &str = "SELECT id, room_id, user_id, message_id, name, size, content_type, \
                      preview_type FROM attachments";

impl Store {
    /// Records an upload (not yet sent).
    ///
    /// # Errors
    /// Database failures.
    pub async fn insert_file(&self, file: &NewFile) -> Result<FileRecord> {
        self.write(async |conn| {
            sqlx::query(
                "INSERT INTO attachments (id, room_id, user_id, name, size, content_type, \
             preview_type, created_ts, client_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&file.id)
            .bind(file.room_id)
            .bind(file.user_id)
            .bind(&file.name)
            .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
            .bind(&file.content_type)
            .bind(&file.preview_type)
            .bind(file.ts)
            .bind(&file.client_addr)
            .execute(conn)
            .await
        })
        .await?;
        Ok(FileRecord {
            id: file.id.clone(),
            room_id: file.room_id,
            user_id: file.user_id,
            message_id: None,
            name: file.name.clone(),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            content_type: file.content_type.clone(),
            preview_type: file.preview_type.clone(),
        })
    }

    /// Bytes of the files `user_id` uploaded since `since` (ms) that are still kept (a file
    /// goes with its deleted message, and an upload never sent after a day).
    ///
    /// # Errors
    /// Database failures.
    pub async fn uploaded_since(&self, user_id: i64, since: i64) -> Result<u64> {
        let bytes: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments \
             WHERE user_id = $1 AND created_ts >= $2",
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// Bytes of the files uploaded from `client_addr` since `since` (ms) that are still kept;
    /// with `guests_only`, those uploaded by guests.
    ///
    /// # Errors
    /// Database failures.
    pub async fn uploaded_from_since(
        &self,
        client_addr: &str,
        since: i64,
        guests_only: bool,
    ) -> Result<u64> {
        let sql = if guests_only {
            "SELECT CAST(COALESCE(SUM(a.size), 0) AS BIGINT) FROM attachments a \
             JOIN users u ON u.id = a.user_id AND u.role = 'guest' \
             WHERE a.client_addr = $1 AND a.created_ts >= $2"
        } else {
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments \
             WHERE client_addr = $1 AND created_ts >= $2"
        };
        let bytes: i64 = sqlx::query_scalar(sql)
            .bind(client_addr)
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// Bytes of every file kept (sent or waiting to be), previews not counted.
    ///
    /// # Errors
    /// Database failures.
    pub async fn kept_file_bytes(&self) -> Result<u64> {
        let bytes: i64 =
            sqlx::query_scalar("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments")
                .fetch_one(&self.pool)
                .await?;
        Ok(u64::try_from(bytes).unwrap_or(0))
    }

    /// One file's record.
    ///
    /// # Errors
    /// Database failures.
    pub async fn file(&self, id: &str) -> Result<Option<FileRecord>> {
        Ok(sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every file `user_id` uploaded, oldest first.
    pub(crate) async fn files_by_uploader(&self, user_id: i64) -> Result<Vec<FileRecord>> {
        Ok(sqlx::query_as(&format!(
            "{SELECT} WHERE user_id = $1 ORDER BY created_ts, id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Uploads never sent that are older than `before` (ms), forgotten; their ids, so the
    /// bytes can be removed too.
    ///
    /// # Errors
    /// Database failures.
    pub async fn take_unsent_files(&self, before: i64) -> Result<Vec<String>> {
        Ok(self
            .write(async |conn| {
                sqlx::query_scalar(
                    "DELETE FROM attachments \
                     WHERE message_id IS NULL AND created_ts < $1 RETURNING id",
                )
                .bind(before)
                .fetch_all(conn)
                .await
            })
            .await?)
    }

    /// Fills in the attachments of `messages` (one query for all of them).
    pub(crate) async fn attach_files(&self, messages: &mut [Message]) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "{SELECT} WHERE message_id IN ({}) ORDER BY message_id, position",
            crate::db::placeholders(1, messages.len())
        );
        let mut query = sqlx::query_as::<_, FileRecord>(&sql);
        for message in messages.iter() {
            query = query.bind(message.id);
        }
        let mut by_message: HashMap<i64, Vec<Attachment>> = HashMap::new();
        for file in query.fetch_all(&self.pool).await? {
            if let Some(message_id) = file.message_id {
                by_message
                    .entry(message_id)
                    .or_default()
                    .push(file.attachment());
            }
        }
        for message in messages.iter_mut() {
            if let Some(files) = by_message.remove(&message.id) {
                message.attachments = files;
            }
        }
        Ok(())
    }
}
