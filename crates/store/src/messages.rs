//! Chat messages: idempotent insert, paged history, edits, deletions, reactions, replies and
//! what changed since a time.

use std::collections::HashMap;

use protocol::{Author, Message, Reaction, ReplyPreview, ThreadSummary, User, validate};
use sqlx::FromRow;

use crate::group_commit::{self, Inserted, Row};
use crate::{Result, RoomRecord, Store, StoreError};

#[derive(FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    room_id: i64,
    room: String,
    user_id: i64,
    username: String,
    text: String,
    ts: i64,
    edited_ts: Option<i64>,
    deleted_ts: Option<i64>,
    changed_ts: Option<i64>,
    reply_id: Option<i64>,
    reply_user_id: Option<i64>,
    reply_username: Option<String>,
    reply_text: Option<String>,
    reply_deleted_ts: Option<i64>,
    /// The author is a webhook's bot (v1.19).
    bot: i64,
    /// The thread it replies in (v1.22).
    thread_root: Option<i64>,
}

impl MessageRow {
    /// The id of the message's room.
    pub(crate) fn room_id(&self) -> i64 {
        self.room_id
    }
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        let reply_to = match (row.reply_id, row.reply_user_id, row.reply_username) {
            (Some(id), Some(user_id), Some(username)) => Some(ReplyPreview {
                id,
                user: Author {
                    id: user_id,
                    username,
                },
                excerpt: match row.reply_text.as_deref() {
                    _ if row.reply_deleted_ts.is_some() => String::new(),
                    // A message of files only.
                    None | Some("") => "📎".to_owned(),
                    Some(text) => validate::excerpt(text),
                },
            }),
            _ => None,
        };
        Self {
            id: row.id,
            room: row.room,
            user: Author {
                id: row.user_id,
                username: row.username,
            },
            text: row.text,
            ts: row.ts,
            edited_ts: row.edited_ts,
            deleted: row.deleted_ts.is_some(),
            reply_to,
            bot: row.bot != 0,
            thread: row.thread_root,
            ..Self::default()
        }
    }
}

/// Marks message `id` changed at `ts`, so `changes` reports it (an edit, a deletion, a reaction,
/// a pin).
pub(crate) async fn mark_changed(conn: &mut sqlx::AnyConnection, id: i64, ts: i64) -> Result<()> {
    sqlx::query("UPDATE messages SET changed_ts = $1 WHERE id = $2")
        .bind(ts)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What a new message carries besides its room and author.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewMessage<'a> {
    /// The text (validated).
    pub text: &'a str,
    /// When (ms).
    pub ts: i64,
    /// The author's idempotency key.
    pub client_id: Option<&'a str>,
    /// The message it answers (same room, not deleted: checked by the caller).
    pub reply_to: Option<i64>,
    /// Ids of the author's unsent uploads to the room.
    pub attachments: &'a [String],
    /// The root of the thread it replies in (same room, itself no reply, not deleted: checked
    /// by the caller).
    pub thread_root: Option<i64>,
}

/// Which of a room's messages a history page holds (v1.22).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// All of them, replies in threads too (as before threads).
    #[default]
    All,
    /// The room's own timeline: no replies in threads.
    Main,
    /// One thread: its root and its replies.
    Thread(i64),
}

impl Scope {
    /// The condition it adds to a query of `m` (`$5`: the root, for a thread).
    fn condition(self) -> &'static str {
        match self {
            Self::All => "",
            Self::Main => " AND m.thread_root IS NULL",
            Self::Thread(_) => " AND ((m.id = $5 AND m.thread_root IS NULL) OR m.thread_root = $5)",
        }
    }
}

impl Row {
    /// The row a new message of `author` in `room` becomes.
    fn of(room: &RoomRecord, author: &User, new: &NewMessage<'_>) -> Self {
        Self {
            room_id: room.id,
            user_id: author.id,
            text: new.text.to_owned(),
            ts: new.ts,
            client_id: new.client_id.map(str::to_owned),
            reply_to: new.reply_to,
            thread_root: new.thread_root,
        }
    }
}

/// A stored message and the id of its room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// The message as it is now.
    pub message: Message,
    /// Its room's id.
    pub room_id: i64,
}

pub(crate) const SELECT: &str = "SELECT m.id, m.room_id, r.name AS room, m.user_id, u.username, m.text, m.ts, \
                      u.bot, m.thread_root, m.edited_ts, m.deleted_ts, m.changed_ts, p.id AS reply_id, p.user_id AS reply_user_id, \
                      pu.username AS reply_username, p.text AS reply_text, \
                      p.deleted_ts AS reply_deleted_ts \
                      FROM messages m JOIN users u ON u.id = m.user_id JOIN rooms r ON r.id = m.room_id \
                      LEFT JOIN messages p ON p.id = m.reply_to LEFT JOIN users pu ON pu.id = p.user_id";

impl Store {
    /// Stores a message. With a `client_id` already used by this author, nothing is stored
    /// and the original message is returned; the flag says whether the message is new.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn insert_message(
        &self,
        room: &RoomRecord,
        author: &User,
        text: &str,
        ts: i64,
        client_id: Option<&str>,
    ) -> Result<(Message, bool)> {
        self.insert_reply(room, author, text, ts, client_id, None)
            .await
    }

    /// [`Self::insert_message`] answering the message `reply_to` (the caller has checked that
    /// it is in the same room and not deleted).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn insert_reply(
        &self,
        room: &RoomRecord,
        author: &User,
        text: &str,
        ts: i64,
        client_id: Option<&str>,
        reply_to: Option<i64>,
    ) -> Result<(Message, bool)> {
        let new = NewMessage {
            text,
            ts,
            client_id,
            reply_to,
            attachments: &[],
            thread_root: None,
        };
        self.insert_full(room, author, &new).await
    }

    /// Stores a message with everything it may carry (see [`Self::insert_message`] for
    /// `client_id`). Its attachments must be uploads of `author` to `room` not sent yet;
    /// otherwise nothing is stored.
    ///
    /// # Errors
    /// [`StoreError::Muted`] while the author is muted in the room; [`StoreError::NotFound`]
    /// when an attachment is not such an upload; database failures.
    pub async fn insert_full(
        &self,
        room: &RoomRecord,
        author: &User,
        new: &NewMessage<'_>,
    ) -> Result<(Message, bool)> {
        // Ids must become visible in increasing order within a room, or a client catching up
        // with `history {after}` could skip a message committed late with a smaller id. SQLite
        // has one writer at a time (a transaction holds it from the insert to the commit); on
        // PostgreSQL the room's advisory lock is held from taking the id to the commit, so
        // inserts into one room commit in id order (other rooms are not held up).
        //
        // The author's mute is checked by the insert itself (no row while muted), so a plain
        // message costs one statement, and a mute set a moment ago on another node holds.
        let inserted: Option<Inserted> = match &self.group_commit {
            // SQLite: committed with whatever other messages are waiting (one statement).
            Some(writer) if new.attachments.is_empty() => {
                writer.insert(Row::of(room, author, new)).await?
            }
            _ => self.insert_in_tx(room, author, new).await?,
        };
        if let Some(Inserted { id, prev }) = inserted {
            if new.reply_to.is_some() || !new.attachments.is_empty() || new.thread_root.is_some() {
                // The quoted preview and the files come back as every later read gives them.
                if let Some(stored) = self.message(id).await? {
                    let message = Message {
                        prev: Some(prev),
                        ..stored.message
                    };
                    return Ok((message, true));
                }
            }
            let message = Message {
                id,
                room: room.name.clone(),
                user: Author::from(author),
                text: new.text.to_owned(),
                ts: new.ts,
                prev: Some(prev),
                ..Message::default()
            };
            return Ok((message, true));
        }
        // No row: the author is muted, or (user_id, client_id) is a duplicate.
        if let Some(until) = self.muted_until(room.id, author.id, new.ts).await? {
            return Err(StoreError::Muted(until));
        }
        let original = match new.client_id {
            Some(client_id) => self.resent(room, author.id, client_id).await?,
            None => None,
        };
        original
            .map(|message| (message, false))
            .ok_or(StoreError::NotFound)
    }

    /// The message `author_id` already stored in `room` under `client_id`, as the answer to a
    /// resend gives it (with `prev`); `None` when there is none.
    ///
    /// # Errors
    /// [`StoreError::ClientIdReused`] when the author used `client_id` in another room;
    /// database failures.
    pub async fn resent(
        &self,
        room: &RoomRecord,
        author_id: i64,
        client_id: &str,
    ) -> Result<Option<Message>> {
        let original: Option<MessageRow> = sqlx::query_as(&format!(
            "{SELECT} WHERE m.user_id = $1 AND m.client_id = $2"
        ))
        .bind(author_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(original) = original else {
            return Ok(None);
        };
        if original.room_id != room.id {
            // Not a resend of this message, and the other room may be one the author has left
            // since: its message is not given back.
            return Err(StoreError::ClientIdReused);
        }
        let prev: Option<i64> =
            sqlx::query_scalar("SELECT MAX(id) FROM messages WHERE room_id = $1 AND id < $2")
                .bind(room.id)
                .bind(original.id)
                .fetch_one(&self.pool)
                .await?;
        let mut original = vec![Message::from(original)];
        self.complete(&mut original).await?;
        Ok(Some(Message {
            prev: Some(prev.unwrap_or(0)),
            ..original.remove(0)
        }))
    }

    /// Inserts a message and claims its attachments in one transaction (on PostgreSQL
    /// holding the room's advisory lock, see [`Self::insert_full`]); `None` when the row was
    /// skipped (muted author, repeated idempotency key).
    async fn insert_in_tx(
        &self,
        room: &RoomRecord,
        author: &User,
        new: &NewMessage<'_>,
    ) -> Result<Option<Inserted>> {
        let mut tx = self.write_tx().await?;
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(2, CAST($1 AS INTEGER))")
                .bind(i32::try_from(room.id.rem_euclid(i64::from(i32::MAX))).unwrap_or(0))
                .execute(&mut *tx)
                .await?;
        }
        let row = Row::of(room, author, new);
        let id = group_commit::bind_rows(&group_commit::insert_sql(1), &[&row])
            .fetch_optional(&mut *tx)
            .await?
            .map(|stored| stored.inserted());
        if let Some(Inserted { id, .. }) = id {
            for (position, file) in new.attachments.iter().enumerate() {
                let claimed = sqlx::query(
                    "UPDATE attachments SET message_id = $1, position = $2 \
                     WHERE id = $3 AND user_id = $4 AND room_id = $5 AND message_id IS NULL",
                )
                .bind(id)
                .bind(i64::try_from(position).unwrap_or(0))
                .bind(file)
                .bind(author.id)
                .bind(room.id)
                .execute(&mut *tx)
                .await?;
                if claimed.rows_affected() == 0 {
                    // Dropping the transaction rolls the message back.
                    return Err(StoreError::NotFound);
                }
            }
        }
        tx.commit().await?;
        Ok(id)
    }

    /// One message as it is now, with its room's id.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn message(&self, id: i64) -> Result<Option<MessageRecord>> {
        let row: Option<MessageRow> = sqlx::query_as(&format!("{SELECT} WHERE m.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let room_id = row.room_id;
        let mut messages = vec![Message::from(row)];
        self.complete(&mut messages).await?;
        Ok(Some(MessageRecord {
            message: messages.remove(0),
            room_id,
        }))
    }

    /// New text for a message that is not deleted; the message as it is now.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if it does not exist or is deleted; database failures.
    pub async fn edit_message(&self, id: i64, text: &str, ts: i64) -> Result<Message> {
        let done = self
            .write(async |conn| {
                sqlx::query(
                    "UPDATE messages SET text = $1, edited_ts = $2, changed_ts = $2 \
             WHERE id = $3 AND deleted_ts IS NULL",
                )
                .bind(text)
                .bind(ts)
                .bind(id)
                .execute(conn)
                .await
            })
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(self.message(id).await?.ok_or(StoreError::NotFound)?.message)
    }

    /// Deletes a message: its text, reactions, pin, places in saved lists, link preview and
    /// files are gone,
    /// a placeholder stays. `None`
    /// if it was already deleted; otherwise the ids of its files, whose bytes are to be removed.
    ///
    /// # Errors
    /// Database failures.
    pub async fn delete_message(&self, id: i64, ts: i64) -> Result<Option<Vec<String>>> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE messages SET text = '', deleted_ts = $1, changed_ts = $1 \
             WHERE id = $2 AND deleted_ts IS NULL",
        )
        .bind(ts)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        for table in ["reactions", "pins", "saved_messages", "message_previews"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE message_id = $1"))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let files: Vec<String> =
            sqlx::query_scalar("DELETE FROM attachments WHERE message_id = $1 RETURNING id")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok((done.rows_affected() > 0).then_some(files))
    }

    /// How many users reacted to a message with `emoji`.
    ///
    /// # Errors
    /// Database failures.
    pub async fn reaction_count(&self, message_id: i64, emoji: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM reactions WHERE message_id = $1 AND emoji = $2",
        )
        .bind(message_id)
        .bind(emoji)
        .fetch_one(&self.pool)
        .await?;
        Ok(n.max(0).unsigned_abs())
    }

    /// Adds (`active`) or takes back a user's reaction; whether anything changed.
    ///
    /// # Errors
    /// [`StoreError::TooMany`] for a new emoji on a message that already has
    /// [`validate::REACTIONS_MAX`] distinct ones; database failures.
    pub async fn react(
        &self,
        message_id: i64,
        user_id: i64,
        emoji: &str,
        active: bool,
        ts: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let changed = if active {
            let (distinct, has_emoji): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(DISTINCT emoji), \
                 COALESCE(SUM(CASE WHEN emoji = $2 THEN 1 ELSE 0 END), 0) \
                 FROM reactions WHERE message_id = $1",
            )
            .bind(message_id)
            .bind(emoji)
            .fetch_one(&mut *tx)
            .await?;
            if has_emoji == 0 && distinct >= validate::REACTIONS_MAX as i64 {
                return Err(StoreError::TooMany);
            }
            sqlx::query(
                "INSERT INTO reactions (message_id, user_id, emoji, ts) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (message_id, user_id, emoji) DO NOTHING",
            )
            .bind(message_id)
            .bind(user_id)
            .bind(emoji)
            .bind(ts)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0
        } else {
            sqlx::query(
                "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
            )
            .bind(message_id)
            .bind(user_id)
            .bind(emoji)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                > 0
        };
        if changed {
            mark_changed(&mut tx, message_id, ts).await?;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Messages of a room edited, deleted, reacted to, pinned or given a link preview after
    /// `since` (ms), as they are now,
    /// oldest change first, each with the time of its latest change.
    ///
    /// # Errors
    /// Database failures.
    pub async fn changes(
        &self,
        room: &RoomRecord,
        since: i64,
        limit: i64,
    ) -> Result<Vec<(Message, i64)>> {
        let rows: Vec<MessageRow> = sqlx::query_as(&format!(
            "{SELECT} WHERE m.room_id = $1 AND m.changed_ts > $2 \
             ORDER BY m.changed_ts ASC, m.id ASC LIMIT $3"
        ))
        .bind(room.id)
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let changed: Vec<i64> = rows
            .iter()
            .map(|row| row.changed_ts.unwrap_or(since))
            .collect();
        let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
        self.complete(&mut messages).await?;
        Ok(messages.into_iter().zip(changed).collect())
    }

    /// Messages (not deleted) containing every one of `terms` (lowercase words) as a word or
    /// the start of one, in the rooms `user_id` can see (open, and public or theirs) or only in
    /// `room_id`, newest first. SQLite's FTS5 index and PostgreSQL's `simple` text search find
    /// the same messages.
    ///
    /// # Errors
    /// Database failures.
    pub async fn search(
        &self,
        user_id: i64,
        room_id: Option<i64>,
        terms: &[String],
        limit: i64,
    ) -> Result<Vec<Message>> {
        // Terms are runs of letters and digits (`validate::search_terms`): nothing in them can
        // be query syntax, and quoting them makes sure of it. A term of one character matches
        // whole words only: as a prefix it would match nearly every message.
        let postgres = self.backend() == crate::Backend::Postgres;
        let query: Vec<String> = terms
            .iter()
            .map(|term| {
                let prefix = term.chars().nth(1).is_some();
                match (postgres, prefix) {
                    (true, true) => format!("'{term}':*"),
                    (true, false) => format!("'{term}'"),
                    (false, true) => format!("\"{term}\"*"),
                    (false, false) => format!("\"{term}\""),
                }
            })
            .collect();
        let (matches, query) = if postgres {
            (
                "to_tsvector('simple', m.text) @@ to_tsquery('simple', $1)",
                query.join(" & "),
            )
        } else {
            (
                "m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH $1)",
                query.join(" "),
            )
        };
        let sql = format!(
            "{SELECT} WHERE {matches} AND m.deleted_ts IS NULL AND r.closed_at IS NULL \
             AND (r.private = 0 OR EXISTS (SELECT 1 FROM room_members rm \
                  WHERE rm.room_id = r.id AND rm.user_id = $2)) \
             AND ($3 = 0 OR m.room_id = $3) \
             ORDER BY m.id DESC LIMIT $4"
        );
        let rows: Vec<MessageRow> = sqlx::query_as(&sql)
            .bind(query)
            .bind(user_id)
            .bind(room_id.unwrap_or(0))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
        self.complete(&mut messages).await?;
        Ok(messages)
    }

    /// Fills in what a message row does not hold: reactions, attachments and its pin.
    pub(crate) async fn complete(&self, messages: &mut [Message]) -> Result<()> {
        self.attach_reactions(messages).await?;
        self.attach_files(messages).await?;
        self.attach_pins(messages).await?;
        self.attach_previews(messages).await?;
        self.attach_threads(messages).await
    }

    /// Fills in the reactions of `messages` (one query for all of them).
    async fn attach_reactions(&self, messages: &mut [Message]) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        // Only the first reactors of each emoji come back, each row with the emoji's total:
        // a message thousands reacted to costs no more to read than one fifty did.
        let sql = format!(
            "SELECT message_id, emoji, user_id, total FROM ( \
                 SELECT message_id, emoji, user_id, ts, \
                        ROW_NUMBER() OVER (PARTITION BY message_id, emoji \
                                           ORDER BY ts ASC, user_id ASC) AS place, \
                        COUNT(*) OVER (PARTITION BY message_id, emoji) AS total \
                 FROM reactions WHERE message_id IN ({}) \
             ) AS listed WHERE place <= {} ORDER BY ts ASC, user_id ASC",
            crate::db::placeholders(1, messages.len()),
            validate::REACTION_USERS_LISTED
        );
        let mut query = sqlx::query_as::<_, (i64, String, i64, i64)>(&sql);
        for message in messages.iter() {
            query = query.bind(message.id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut by_message: HashMap<i64, Vec<Reaction>> = HashMap::new();
        for (message_id, emoji, user_id, total) in rows {
            let reactions = by_message.entry(message_id).or_default();
            match reactions.iter_mut().find(|r| r.emoji == emoji) {
                Some(reaction) => reaction.users.push(user_id),
                None => reactions.push(Reaction {
                    emoji,
                    count: total.max(0).unsigned_abs(),
                    users: vec![user_id],
                }),
            }
        }
        for message in messages.iter_mut() {
            if let Some(reactions) = by_message.remove(&message.id) {
                message.reactions = reactions;
            }
        }
        Ok(())
    }

    /// Adds `user_id` to the reactions of `messages` it reacted with but that do not list it
    /// (a reaction lists only its first reactors), so a reader always sees their own. One
    /// query, and none when no listed reaction is cut short.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn add_own_reactions<'a>(
        &self,
        user_id: i64,
        messages: impl IntoIterator<Item = &'a mut Message>,
    ) -> Result<()> {
        let mut messages: Vec<&mut Message> = messages.into_iter().collect();
        let cut = |m: &Message| {
            m.reactions
                .iter()
                .any(|r| (r.users.len() as u64) < r.count && !r.users.contains(&user_id))
        };
        let ids: Vec<i64> = messages.iter().filter(|m| cut(m)).map(|m| m.id).collect();
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "SELECT message_id, emoji FROM reactions WHERE user_id = $1 AND message_id IN ({})",
            crate::db::placeholders(2, ids.len())
        );
        let mut query = sqlx::query_as::<_, (i64, String)>(&sql).bind(user_id);
        for id in &ids {
            query = query.bind(id);
        }
        for (message_id, emoji) in query.fetch_all(&self.pool).await? {
            let reaction = messages
                .iter_mut()
                .filter(|m| m.id == message_id)
                .flat_map(|m| m.reactions.iter_mut())
                .find(|r| r.emoji == emoji);
            if let Some(reaction) = reaction
                && !reaction.users.contains(&user_id)
            {
                reaction.users.push(user_id);
            }
        }
        Ok(())
    }

    /// Messages of a room, oldest first. `after` / `before` are exclusive message ids; with
    /// `after` the oldest `limit` newer messages come back (catching up), otherwise the newest
    /// `limit` (older than `before`, if given).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn history(
        &self,
        room: &RoomRecord,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        self.history_of(room, Scope::All, before, after, limit)
            .await
    }

    /// [`Self::history`] of some of the room's messages: its own timeline or one thread.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn history_of(
        &self,
        room: &RoomRecord,
        scope: Scope,
        before: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        let before = before.unwrap_or(i64::MAX);
        let condition = scope.condition();
        // With `after`: the oldest newer ones; without: the newest (read backwards).
        let (after, order) = match after {
            Some(after) => (after, "ASC"),
            None => (0, "DESC"),
        };
        let sql = format!(
            "{SELECT} WHERE m.room_id = $1 AND m.id > $2 AND m.id < $3{condition} \
             ORDER BY m.id {order} LIMIT $4"
        );
        let mut query = sqlx::query_as::<_, MessageRow>(&sql)
            .bind(room.id)
            .bind(after)
            .bind(before)
            .bind(limit);
        if let Scope::Thread(root) = scope {
            query = query.bind(root);
        }
        let mut rows = query.fetch_all(&self.pool).await?;
        if order == "DESC" {
            rows.reverse();
        }
        let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
        self.complete(&mut messages).await?;
        Ok(messages)
    }

    /// The summaries of the threads of these roots that have replies (one query; each count
    /// and its newest reply read together, so they agree).
    async fn thread_summaries(&self, roots: &[i64]) -> Result<HashMap<i64, ThreadSummary>> {
        if roots.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT t.thread_root, t.replies, t.last_id, l.ts FROM ( \
                 SELECT thread_root, COUNT(*) AS replies, MAX(id) AS last_id FROM messages \
                 WHERE thread_root IN ({}) GROUP BY thread_root \
             ) AS t JOIN messages l ON l.id = t.last_id",
            crate::db::placeholders(1, roots.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64, i64, i64)>(&sql);
        for root in roots {
            query = query.bind(root);
        }
        Ok(query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(root, count, last_id, last_ts)| {
                let summary = ThreadSummary {
                    count: count.max(0).unsigned_abs(),
                    last_id,
                    last_ts,
                };
                (root, summary)
            })
            .collect())
    }

    /// Fills in `replies` (v1.22): on a root, its thread's summary; on a reply, its thread's.
    async fn attach_threads(&self, messages: &mut [Message]) -> Result<()> {
        let mut roots: Vec<i64> = messages.iter().map(|m| m.thread.unwrap_or(m.id)).collect();
        roots.sort_unstable();
        roots.dedup();
        let summaries = self.thread_summaries(&roots).await?;
        for message in messages.iter_mut() {
            message.replies = summaries
                .get(&message.thread.unwrap_or(message.id))
                .copied();
        }
        Ok(())
    }

    /// Stored messages per open room id.
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn message_counts(&self) -> Result<Vec<(i64, u64)>> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT room_id, COUNT(*) FROM messages GROUP BY room_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(room, n)| (room, n.max(0) as u64))
            .collect())
    }

    /// Messages stored at or after `since` (Unix ms).
    ///
    /// # Errors
    /// [`crate::StoreError::Database`] on failure.
    pub async fn messages_since(&self, since: i64) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE ts >= $1")
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RoomKind;

    async fn setup() -> (Store, RoomRecord, User) {
        let store = Store::in_memory().await.unwrap();
        let general = store.room_by_name("general").await.unwrap().unwrap();
        let ana = store.create_guest("ana", 0).await.unwrap();
        (store, general, ana)
    }

    #[tokio::test]
    async fn a_reaction_lists_its_first_reactors_and_counts_them_all() {
        let (store, general, ana) = setup().await;
        let (message, _) = store
            .insert_message(&general, &ana, "popular", 10, None)
            .await
            .unwrap();
        let mut reactors = Vec::new();
        for n in 0..validate::REACTION_USERS_LISTED + 5 {
            let user = store.create_guest(&format!("fan{n}"), 0).await.unwrap();
            assert!(
                store
                    .react(message.id, user.id, "👍", true, 20 + n as i64)
                    .await
                    .unwrap()
            );
            reactors.push(user.id);
        }
        let stored = store.message(message.id).await.unwrap().unwrap().message;
        let [reaction] = stored.reactions.as_slice() else {
            panic!("{:?}", stored.reactions)
        };
        assert_eq!(reaction.count, reactors.len() as u64);
        assert_eq!(reaction.users, reactors[..validate::REACTION_USERS_LISTED]);
        // A reader past the 50th sees their own among them; another reader does not.
        let last = *reactors.last().unwrap();
        let mut for_last = stored.clone();
        store
            .add_own_reactions(last, [&mut for_last])
            .await
            .unwrap();
        assert_eq!(
            for_last.reactions[0].users.len(),
            validate::REACTION_USERS_LISTED + 1
        );
        assert_eq!(for_last.reactions[0].users.last(), Some(&last));
        let mut for_ana = stored.clone();
        store
            .add_own_reactions(ana.id, [&mut for_ana])
            .await
            .unwrap();
        assert_eq!(for_ana, stored);
    }

    #[tokio::test]
    async fn resend_with_client_id_stores_once() {
        let (store, general, ana) = setup().await;
        let (first, new) = store
            .insert_message(&general, &ana, "hi", 10, Some("c1"))
            .await
            .unwrap();
        assert!(new);
        let (again, new) = store
            .insert_message(&general, &ana, "hi (resent)", 20, Some("c1"))
            .await
            .unwrap();
        assert!(!new);
        assert_eq!(again, first);
        // Without a client id every send is a new message.
        store
            .insert_message(&general, &ana, "a", 30, None)
            .await
            .unwrap();
        store
            .insert_message(&general, &ana, "a", 31, None)
            .await
            .unwrap();
        assert_eq!(
            store.history(&general, None, None, 50).await.unwrap().len(),
            3
        );
        // The key of a message in another room is refused, not answered with that message.
        let other = store
            .create_room("other", None, false, RoomKind::Room, ana.id, 0)
            .await
            .unwrap();
        assert!(matches!(
            store
                .insert_message(&other, &ana, "hi", 25, Some("c1"))
                .await,
            Err(StoreError::ClientIdReused)
        ));
        // Another user may use the same client id.
        let bea = store.create_guest("bea", 0).await.unwrap();
        let (theirs, new) = store
            .insert_message(&general, &bea, "hey", 40, Some("c1"))
            .await
            .unwrap();
        assert!(new);
        assert_ne!(theirs.id, first.id);
    }

    #[tokio::test]
    async fn history_pages_oldest_first() {
        let (store, general, ana) = setup().await;
        let mut ids = Vec::new();
        for n in 0..10 {
            let (m, _) = store
                .insert_message(&general, &ana, &format!("m{n}"), n, None)
                .await
                .unwrap();
            ids.push(m.id);
        }
        let texts = |ms: Vec<Message>| ms.into_iter().map(|m| m.text).collect::<Vec<_>>();
        assert_eq!(
            texts(store.history(&general, None, None, 3).await.unwrap()),
            ["m7", "m8", "m9"]
        );
        assert_eq!(
            texts(
                store
                    .history(&general, Some(ids[7]), None, 3)
                    .await
                    .unwrap()
            ),
            ["m4", "m5", "m6"]
        );
        assert_eq!(
            texts(
                store
                    .history(&general, None, Some(ids[5]), 3)
                    .await
                    .unwrap()
            ),
            ["m6", "m7", "m8"]
        );
        assert_eq!(
            texts(
                store
                    .history(&general, Some(ids[8]), Some(ids[5]), 10)
                    .await
                    .unwrap()
            ),
            ["m6", "m7"]
        );
        let first = &store.history(&general, None, None, 1).await.unwrap()[0];
        assert_eq!(first.room, "general");
        assert_eq!(first.user.username, "ana");
    }

    #[tokio::test]
    async fn counts() {
        let (store, general, ana) = setup().await;
        store
            .insert_message(&general, &ana, "old", 1_000, None)
            .await
            .unwrap();
        store
            .insert_message(&general, &ana, "new", 5_000, None)
            .await
            .unwrap();
        assert_eq!(store.message_counts().await.unwrap(), [(general.id, 2)]);
        assert_eq!(store.messages_since(2_000).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn edits_deletions_reactions_and_replies_read_back_as_they_are_now() {
        let (store, general, ana) = setup().await;
        let bea = store.create_guest("bea", 0).await.unwrap();
        let (first, _) = store
            .insert_message(&general, &ana, "first", 10, None)
            .await
            .unwrap();
        let (reply, _) = store
            .insert_reply(&general, &bea, "an answer", 20, None, Some(first.id))
            .await
            .unwrap();
        let quoted = reply.reply_to.clone().unwrap();
        assert_eq!(
            (quoted.id, quoted.user.id, quoted.excerpt.as_str()),
            (first.id, ana.id, "first")
        );

        let edited = store
            .edit_message(first.id, "first, edited", 30)
            .await
            .unwrap();
        assert_eq!(
            (edited.text.as_str(), edited.edited_ts),
            ("first, edited", Some(30))
        );

        assert!(store.react(first.id, bea.id, "👍", true, 40).await.unwrap());
        assert!(
            !store.react(first.id, bea.id, "👍", true, 41).await.unwrap(),
            "idempotent"
        );
        assert!(store.react(first.id, ana.id, "👍", true, 42).await.unwrap());
        assert!(store.react(first.id, ana.id, "🎉", true, 43).await.unwrap());
        assert!(
            store
                .react(first.id, ana.id, "🎉", false, 44)
                .await
                .unwrap()
        );
        let history = store.history(&general, None, None, 50).await.unwrap();
        assert_eq!(
            history[0].reactions,
            [Reaction {
                emoji: "👍".into(),
                count: 2,
                users: vec![bea.id, ana.id]
            }]
        );
        assert_eq!(
            history[1].reply_to.as_ref().unwrap().excerpt,
            "first, edited"
        );

        // What changed after 35: the reactions (at 44 the last); after 44, nothing.
        let changed = store.changes(&general, 35, 50).await.unwrap();
        assert_eq!(
            changed
                .iter()
                .map(|(m, ts)| (m.id, *ts))
                .collect::<Vec<_>>(),
            [(first.id, 44)]
        );
        assert!(store.changes(&general, 44, 50).await.unwrap().is_empty());

        // Deleting keeps a placeholder without text or reactions; the reply's quote empties.
        assert!(store.delete_message(first.id, 50).await.unwrap().is_some());
        assert!(store.delete_message(first.id, 51).await.unwrap().is_none());
        let history = store.history(&general, None, None, 50).await.unwrap();
        assert!(
            history[0].deleted && history[0].text.is_empty() && history[0].reactions.is_empty()
        );
        assert_eq!(history[1].reply_to.as_ref().unwrap().excerpt, "");
        assert!(matches!(
            store.edit_message(first.id, "again", 60).await,
            Err(StoreError::NotFound)
        ));
        let stored = store.message(first.id).await.unwrap().unwrap();
        assert_eq!(stored.room_id, general.id);
        assert!(store.message(9_999).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_message_has_a_bounded_number_of_distinct_emoji() {
        let (store, general, ana) = setup().await;
        let (m, _) = store
            .insert_message(&general, &ana, "react", 1, None)
            .await
            .unwrap();
        let emoji: Vec<String> = (0..validate::REACTIONS_MAX as u32)
            .map(|n| char::from_u32(0x1F600 + n).unwrap().to_string())
            .collect();
        for e in &emoji {
            store.react(m.id, ana.id, e, true, 2).await.unwrap();
        }
        assert!(matches!(
            store.react(m.id, ana.id, "🦀", true, 3).await,
            Err(StoreError::TooMany)
        ));
        // Joining an emoji already there is fine.
        let bea = store.create_guest("bea", 0).await.unwrap();
        assert!(store.react(m.id, bea.id, &emoji[0], true, 4).await.unwrap());
    }

    #[tokio::test]
    async fn search_finds_words_and_prefixes_in_visible_rooms_only() {
        let (store, general, ana) = setup().await;
        let bea = store.create_guest("bea", 0).await.unwrap();
        let secret = store
            .create_room("secret", None, true, RoomKind::Room, ana.id, 0)
            .await
            .unwrap();
        let say = |room: RoomRecord, who: User, text: &'static str, ts: i64| {
            let store = store.clone();
            async move {
                store
                    .insert_message(&room, &who, text, ts, None)
                    .await
                    .unwrap()
                    .0
            }
        };
        let lunch = say(general.clone(), ana.clone(), "Lunch at noon?", 1).await;
        let later = say(
            general.clone(),
            bea.clone(),
            "lunchtime is over, Café closed",
            2,
        )
        .await;
        let hidden = say(secret.clone(), ana.clone(), "secret lunch plans", 3).await;
        say(general.clone(), bea.clone(), "nothing to see", 4).await;
        let terms = |q: &str| validate::search_terms(q).unwrap();
        let ids = |messages: Vec<Message>| messages.iter().map(|m| m.id).collect::<Vec<_>>();

        // Newest first; prefixes match; only rooms the searcher can see.
        assert_eq!(
            ids(store
                .search(bea.id, None, &terms("LUNCH"), 10)
                .await
                .unwrap()),
            [later.id, lunch.id]
        );
        assert_eq!(
            ids(store
                .search(ana.id, None, &terms("lunch"), 10)
                .await
                .unwrap()),
            [hidden.id, later.id, lunch.id]
        );
        assert_eq!(
            ids(store
                .search(ana.id, Some(secret.id), &terms("lunch"), 10)
                .await
                .unwrap()),
            [hidden.id]
        );
        // Every word must match; case folds; accents are kept.
        assert_eq!(
            ids(store
                .search(bea.id, None, &terms("lunch noon"), 10)
                .await
                .unwrap()),
            [lunch.id]
        );
        assert_eq!(
            ids(store
                .search(bea.id, None, &terms("café"), 10)
                .await
                .unwrap()),
            [later.id]
        );
        assert!(
            store
                .search(bea.id, None, &terms("cafe"), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Edits and deletions are followed.
        store
            .edit_message(lunch.id, "brunch at noon?", 5)
            .await
            .unwrap();
        assert_eq!(
            ids(store
                .search(bea.id, None, &terms("lunch"), 10)
                .await
                .unwrap()),
            [later.id]
        );
        store.delete_message(later.id, 6).await.unwrap();
        assert!(
            store
                .search(bea.id, None, &terms("lunch"), 10)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .search(bea.id, None, &terms("noon"), 1)
                .await
                .unwrap()
                .len(),
            1
        );
    }
}
