//! A person's data: deleting an account (by its owner or an admin) and exporting it.

use std::io::Write;
use std::path::PathBuf;

use protocol::events::AuditAction;
use protocol::{MessageDeleted, MessagesOnDelete, User};
use serde::Serialize;
use store::StoreError;

use super::Accounts;
use crate::auth::verify_password;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::{session_channel, user_channel};
use crate::files::Partial;

/// Messages read from the store per query while an export is made.
const EXPORT_PAGE: i64 = 1_000;

/// A finished export: a zip file under the files directory's `tmp/`, removed when dropped.
pub(crate) struct Export {
    /// The file (deleted when this is dropped; an open handle still reads it).
    pub(crate) partial: Partial,
    /// Its size.
    pub(crate) bytes: u64,
}

/// `account.json` of an export.
#[derive(Serialize)]
struct AccountJson<'a> {
    /// The export's format.
    format: u32,
    /// When it was made (Unix ms).
    exported_at: i64,
    /// The account as others see it.
    user: &'a User,
    /// When it was created (Unix ms).
    created_at: i64,
    /// The name it goes by, if it set one (v1.26).
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    /// Where its profile picture is in the zip, if it has one (v1.25).
    #[serde(skip_serializing_if = "Option::is_none")]
    avatar: Option<String>,
}

/// One entry of `files.json`.
#[derive(Serialize)]
struct FileJson {
    id: String,
    name: String,
    size: i64,
    content_type: String,
    /// The message that carries it (none: uploaded, never sent).
    message: Option<i64>,
    /// Where its bytes are in the zip (none: missing from the server's disk).
    path: Option<String>,
}

impl Accounts {
    /// Deletes `caller`'s own account after checking its password (registered accounts; a
    /// guest has none to give).
    ///
    /// # Errors
    /// `forbidden` (wrong or missing password, the last admin), `unauthorized`, or a failure.
    pub(crate) async fn delete_own_account(
        &self,
        address: crate::client_addr::AddrKey,
        caller: &User,
        password: Option<String>,
        messages: MessagesOnDelete,
    ) -> AppResult<()> {
        let record = self
            .hub
            .store
            .user_record(caller.id)
            .await?
            .ok_or_else(AppError::unauthorized)?;
        if let Some(hash) = record.password_hash {
            let password = password
                .ok_or_else(|| AppError::forbidden("give your password to delete your account"))?;
            if password.chars().count() > protocol::validate::PASSWORD_MAX
                || !verify_password(&self.hub.hashing, Some(address), Some(hash), password).await?
            {
                return Err(AppError::forbidden("the password is wrong"));
            }
        }
        self.delete_account(caller, caller, messages).await
    }

    /// An admin deletes someone's account (by name; `by`'s role has been checked against the
    /// store).
    ///
    /// # Errors
    /// `not_found`, `forbidden` (the last admin), or a failure.
    pub(crate) async fn delete_account_of(
        &self,
        by: &User,
        raw_name: &str,
        messages: MessagesOnDelete,
    ) -> AppResult<()> {
        let target = self.existing_user(raw_name).await?;
        self.delete_account(by, &target, messages).await
    }

    /// Erases `target`'s account (see [`store::Store::erase_user`]), then what lives outside
    /// the database: its files' bytes, its sockets on every node, and the removed messages on
    /// the screens of everyone who may still show them. Recorded in the moderation log.
    async fn delete_account(
        &self,
        by: &User,
        target: &User,
        messages: MessagesOnDelete,
    ) -> AppResult<()> {
        let remove = messages == MessagesOnDelete::Remove;
        let commands_go = self.answers_commands(target.id).await?;
        let erased = self
            .hub
            .store
            .erase_user(target.id, remove, now_ms())
            .await
            .map_err(|error| match error {
                StoreError::LastAdmin => AppError::forbidden(format!(
                    "{} is the last admin; promote someone else first",
                    target.username
                )),
                StoreError::NotFound => AppError::not_found("that account no longer exists"),
                other => other.into(),
            })?;
        for file in &erased.files {
            self.hub.files.remove(file).await;
        }
        // Its picture and display name go, and those who show them hear so.
        if let Some(picture) = &erased.avatar {
            self.hub.files.remove(picture).await;
        }
        let gone = protocol::Profile {
            id: target.id,
            avatar: None,
            name: None,
        };
        self.fanout.to_everyone(&gone).await;
        for session in &erased.sessions {
            self.fanout.disconnect(&session_channel(session)).await;
        }
        self.fanout.disconnect(&user_channel(target.id)).await;
        if commands_go {
            self.fanout.to_everyone(&protocol::CommandsChanged {}).await;
        }
        for message in &erased.messages {
            let event = MessageDeleted {
                room: message.room.clone(),
                id: message.id,
            };
            self.fanout.to_room(message.room_id, &event).await;
        }
        tracing::info!(
            user = %target.username,
            by = %by.username,
            messages = messages.as_str(),
            files = erased.files.len(),
            "account deleted"
        );
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::DeleteUser,
                target: Some(&target.username),
                room: None,
                detail: Some(format!("messages: {}", messages.as_str())),
            })
            .await;
        Ok(())
    }

    /// An admin exports someone's data (by name; `by`'s role has been checked against the
    /// store). Recorded in the moderation log.
    ///
    /// # Errors
    /// `not_found`, or as [`Self::export`].
    pub(crate) async fn export_of(&self, by: &User, raw_name: &str) -> AppResult<Export> {
        let target = self.existing_user(raw_name).await?;
        let export = self.export(&target).await?;
        self.audit
            .record(store::NewAudit {
                actor_id: by.id,
                actor: &by.username,
                action: AuditAction::Export,
                target: Some(&target.username),
                room: None,
                detail: None,
            })
            .await;
        Ok(export)
    }

    /// `user`'s data as a zip: `account.json`, `messages.json` (every message they wrote, as
    /// history shows it), `files.json` and the files they uploaded under `files/`, and their
    /// profile picture (`avatar.png` or `avatar.jpg`). One export
    /// is made at a time per node (the others wait up to 10 s).
    ///
    /// # Errors
    /// `rate_limited` when another export takes too long, `not_found`, or a failure.
    pub(crate) async fn export(&self, user: &User) -> AppResult<Export> {
        let _turn = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            self.hub.exports.acquire(),
        )
        .await
        .map_err(|_| {
            AppError::new(
                protocol::ErrorCode::RateLimited,
                "another export is being made; try again in a minute",
            )
        })?
        .map_err(|_| AppError::rate_limited())?;
        let store = &self.hub.store;
        let created_at = store
            .created_at(user.id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound => AppError::not_found("that account no longer exists"),
                other => other.into(),
            })?;
        let (partial, file) = self
            .hub
            .files
            .partial()
            .await
            .map_err(|error| AppError::internal("writing an export", error))?;
        let file = file.into_std().await;
        // The zip is written on a blocking thread as the pieces come: the messages a page at a
        // time, so an export never holds all of a person's messages in memory.
        let (pieces, received) = tokio::sync::mpsc::channel(4);
        let writer = tokio::task::spawn_blocking(move || write_zip(file, received));
        let fed = self.feed(user, created_at, &pieces).await;
        drop(pieces);
        let written = writer
            .await
            .map_err(|error| AppError::internal("writing an export", error))?;
        // A writer that failed stops taking pieces: its error says why.
        let bytes = written.map_err(|error| AppError::internal("writing an export", error))?;
        fed?;
        Ok(Export { partial, bytes })
    }

    /// Hands the export's entries to the zip writer, in order.
    async fn feed(
        &self,
        user: &User,
        created_at: i64,
        pieces: &tokio::sync::mpsc::Sender<Piece>,
    ) -> AppResult<()> {
        let send = |piece: Piece| async move {
            pieces
                .send(piece)
                .await
                .map_err(|_| AppError::invariant("the export's writer stopped"))
        };
        let store = &self.hub.store;
        let profile = store.profiles(&[user.id]).await?.pop();
        let display_name = profile.as_ref().and_then(|p| p.display_name.clone());
        // The picture, as it is kept (its type decides the name in the zip).
        let mut picture = None;
        if let Some(id) = profile.and_then(|p| p.avatar) {
            let source = self.hub.files.path(&id, true);
            if let Some(content_type) = store.avatar_type(&id).await?
                && source.exists()
            {
                let extension = if content_type == "image/png" {
                    "png"
                } else {
                    "jpg"
                };
                picture = Some((format!("avatar.{extension}"), source));
            }
        }
        send(Piece::Entry("account.json")).await?;
        send(Piece::Bytes(json(&AccountJson {
            format: 1,
            exported_at: now_ms(),
            user,
            created_at,
            display_name,
            avatar: picture.as_ref().map(|(name, _)| name.clone()),
        })?))
        .await?;
        send(Piece::Entry("messages.json")).await?;
        send(Piece::Bytes(b"[".to_vec())).await?;
        let mut after = 0;
        let mut first = true;
        loop {
            let page = store
                .messages_by_author(user.id, after, EXPORT_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let full = i64::try_from(page.len()).unwrap_or(0) == EXPORT_PAGE;
            let mut chunk = Vec::new();
            for message in &page {
                if !first {
                    chunk.push(b',');
                }
                first = false;
                chunk.extend(json(message)?);
            }
            send(Piece::Bytes(chunk)).await?;
            if !full {
                break;
            }
        }
        send(Piece::Bytes(b"]".to_vec())).await?;
        let files = store.files_of(user.id).await?;
        let mut listed = Vec::with_capacity(files.len());
        let mut sources = Vec::with_capacity(files.len());
        for file in files {
            let source = self.hub.files.path(&file.id, false);
            let path = source
                .exists()
                .then(|| format!("files/{}-{}", file.id, file.name.replace(['/', '\\'], "_")));
            if let Some(path) = &path {
                sources.push((path.clone(), source));
            }
            listed.push(FileJson {
                id: file.id,
                name: file.name,
                size: file.size,
                content_type: file.content_type,
                message: file.message_id,
                path,
            });
        }
        send(Piece::Entry("files.json")).await?;
        send(Piece::Bytes(json(&listed)?)).await?;
        for (name, source) in sources {
            send(Piece::File(name, source)).await?;
        }
        if let Some((name, source)) = picture {
            send(Piece::File(name, source)).await?;
        }
        Ok(())
    }
}

/// What the zip writer is handed, in order.
enum Piece {
    /// Starts a (compressed) entry.
    Entry(&'static str),
    /// More of the current entry.
    Bytes(Vec<u8>),
    /// A whole entry from a file on disk, stored as it is (uploads are mostly compressed).
    File(String, PathBuf),
}

/// `value` as JSON, for an export.
fn json<T: Serialize + ?Sized>(value: &T) -> AppResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|error| AppError::internal("writing an export", error))
}

/// Writes the export's zip into `file` from the pieces as they come; its size.
fn write_zip(
    file: std::fs::File,
    mut pieces: tokio::sync::mpsc::Receiver<Piece>,
) -> Result<u64, Box<dyn std::error::Error + Send + Sync>> {
    let mut zip = zip::ZipWriter::new(file);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let stored = deflated
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    while let Some(piece) = pieces.blocking_recv() {
        match piece {
            Piece::Entry(name) => zip.start_file(name, deflated)?,
            Piece::Bytes(bytes) => zip.write_all(&bytes)?,
            Piece::File(name, source) => {
                let Ok(mut input) = std::fs::File::open(&source) else {
                    continue; // deleted meanwhile
                };
                zip.start_file(name, stored)?;
                std::io::copy(&mut input, &mut zip)?;
            }
        }
    }
    let file = zip.finish()?;
    Ok(file.metadata()?.len())
}
