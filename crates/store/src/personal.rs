//! A person's data: what an export holds, and erasing an account.

use protocol::Message;

use crate::files::FileRecord;
use crate::messages::{MessageRow, SELECT};
use crate::{Result, Store, StoreError};

/// The author name of the messages kept from an erased account.
pub const ERASED_NAME: &str = "deleted user";

/// What erasing an account left to do outside the database.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Erased {
    /// The ids of the files the account uploaded (their rows are gone; their bytes are to go).
    pub files: Vec<String>,
    /// Its profile picture's id (v1.25), gone from the account; its bytes are to go.
    pub avatar: Option<String>,
    /// The token hashes of the sessions that ended (their sockets are to be disconnected).
    pub sessions: Vec<String>,
    /// The messages removed, newest first (at most [`ERASED_MESSAGES_SHOWN`]: the ones
    /// clients may still show).
    pub messages: Vec<RemovedMessage>,
}

/// A message removed with its account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RemovedMessage {
    /// Its room's id.
    pub room_id: i64,
    /// Its room's name.
    pub room: String,
    /// Its id.
    pub id: i64,
}

/// How many removed messages [`Erased::messages`] names.
pub const ERASED_MESSAGES_SHOWN: i64 = 500;

impl Store {
    /// The messages `user_id` wrote, oldest first, after message id `after`, at most `limit`
    /// (completed with reactions and attachments, as history shows them).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn messages_by_author(
        &self,
        user_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{SELECT} WHERE m.user_id = $1 AND m.id > $2 ORDER BY m.id ASC LIMIT $3"
        ))
        .bind(user_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
        self.complete(&mut messages).await?;
        Ok(messages)
    }

    /// Every file `user_id` uploaded (sent or not).
    ///
    /// # Errors
    /// [`StoreError::Database`] on failure.
    pub async fn files_of(&self, user_id: i64) -> Result<Vec<FileRecord>> {
        self.files_by_uploader(user_id).await
    }

    /// When the account was created (Unix ms).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for no such account; [`StoreError::Database`] on failure.
    pub async fn created_at(&self, user_id: i64) -> Result<i64> {
        sqlx::query_scalar("SELECT created_at FROM users WHERE id = $1 AND deleted_at IS NULL")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Erases an account. Its sessions, room memberships, room list, notifications,
    /// reactions, mutes, kicks and uploaded files go. With `remove_messages` its messages go
    /// too and the account row with them; otherwise the messages stay, shown as written by
    /// [`ERASED_NAME`], and the row stays nameless (its name is free again, nobody can sign in
    /// to it). Returns what is left to do outside the database.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] (no such account, or erased already), [`StoreError::LastAdmin`]
    /// (the only admin), [`StoreError::Database`].
    pub async fn erase_user(
        &self,
        user_id: i64,
        remove_messages: bool,
        now: i64,
    ) -> Result<Erased> {
        let mut tx = self.write_tx().await?;
        self.lock_writers(&mut tx).await?;
        let found: Option<(String, Option<i64>)> = sqlx::query_as(
            "SELECT role, banned_at FROM users WHERE id = $1 AND deleted_at IS NULL",
        )
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((role, banned_at)) = found else {
            return Err(StoreError::NotFound);
        };
        if role == "admin" {
            let admins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin'")
                .fetch_one(&mut *tx)
                .await?;
            if admins <= 1 {
                return Err(StoreError::LastAdmin);
            }
        }
        let files: Vec<String> =
            sqlx::query_scalar("SELECT id FROM attachments WHERE user_id = $1 ORDER BY id")
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
        let avatar: Option<String> = sqlx::query_scalar("SELECT avatar FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        let mut sessions: Vec<String> = sqlx::query_scalar(
            "SELECT token_hash FROM sessions WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        // The account's bots go with it (their tokens are among the sessions to end), and a
        // bot's own account goes as a deleted bot does (its commands, its place in its
        // owner's list).
        sessions.extend(crate::bots::retire_bots_of(&mut tx, user_id, now).await?);
        sessions.extend(
            crate::bots::retire_bot(&mut tx, user_id, now)
                .await?
                .unwrap_or_default(),
        );
        let mut messages = Vec::new();
        if remove_messages {
            messages = sqlx::query_as(
                "SELECT m.room_id, r.name AS room, m.id FROM messages m \
                 JOIN rooms r ON r.id = m.room_id WHERE m.user_id = $1 ORDER BY m.id DESC LIMIT $2",
            )
            .bind(user_id)
            .bind(ERASED_MESSAGES_SHOWN)
            .fetch_all(&mut *tx)
            .await?;
        }
        if remove_messages && banned_at.is_none() {
            // Everything of the account goes with its row (the foreign keys cascade); replies
            // to its messages lose their quote, rooms it created and its audit entries their
            // link to it.
            sqlx::query("DELETE FROM users WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        } else {
            // Kept nameless: a banned account's row (and so its ban and address bans, which only
            // `unban` lifts) stays even when its messages go.
            if remove_messages {
                sqlx::query("DELETE FROM messages WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            for table in [
                "attachments",
                "sessions",
                "room_members",
                "saved_rooms",
                "notifications",
                "channel_subscriptions",
                "reactions",
                "saved_messages",
                "room_mutes",
                "room_kicks",
                "blocks",
                "known_devices",
            ] {
                sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            // Nobody keeps blocking an account that is gone (they could not unblock it by
            // name, and it would count toward their limit). Its address bans stay: a ban is
            // lifted only by `unban`.
            sqlx::query("DELETE FROM blocks WHERE blocked_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET username = $1, username_key = $2, password_hash = NULL, status = NULL, \
                 avatar = NULL, avatar_type = NULL, display_name = NULL, display_name_key = NULL, \
                 role = CASE WHEN role = 'admin' THEN 'member' ELSE role END, \
                 deleted_at = $3 WHERE id = $4",
            )
            .bind(ERASED_NAME)
            .bind(format!("~d{user_id}"))
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Erased {
            files,
            avatar,
            sessions,
            messages,
        })
    }
}
