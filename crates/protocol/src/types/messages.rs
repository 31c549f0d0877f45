//! Messages: sending, history pages, edits, deletions, reactions, catch-up on changes, search.

use serde::{Deserialize, Deserializer, Serialize};

use super::is_false;
use super::people::Author;

/// A stored chat message, stamped by the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Message id, increasing in send order.
    pub id: i64,
    /// Room name.
    pub room: String,
    /// Who sent it.
    pub user: Author,
    /// The text, trimmed, 1–4000 characters (empty once deleted).
    pub text: String,
    /// When the server stored it.
    pub ts: i64,
    /// When the author last edited it (v1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_ts: Option<i64>,
    /// Deleted: the text is gone, a placeholder stays in its place (v1.3).
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// Emoji reactions, in the order each emoji was first used (v1.3).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// The message this one answers, quoted (v1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyPreview>,
    /// Files sent with it, in the order they were given (v1.4; gone once deleted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// The id of the room's message just before this one (0: none), on the `message` event
    /// and its ack (v1.7): a room's messages are stored in id order, so a client holds every
    /// message up to one when the chain of `prev` links reaches it, and resumes safely from
    /// there (see `sync::Cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<i64>,
    /// Pinned in its room: by whom and when (v1.14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<Pin>,
    /// In the reader's saved list (v1.15; in answers to one reader only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub saved: bool,
    /// A preview of the first link in the text, once the server made one (v1.16; boxed: most
    /// messages have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Box<LinkPreview>>,
    /// Posted by a program through one of the room's webhooks (v1.19): `user` is that
    /// webhook's bot.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bot: bool,
    /// A reply in a thread (v1.22): the id of the thread's first message, its root (same
    /// room). A client that ignores it shows the reply in the room like any message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
    /// The thread (v1.22): on a root, its replies; on a reply, the summary of the thread it is
    /// in. Taken when the message was read (or, on the `message` event, stored): of two
    /// summaries of one thread, the one with the larger `last_id` is the newer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<ThreadSummary>,
    /// On a root, in answers to one reader who follows its thread (they started it, replied
    /// in it or were mentioned in it): the newest reply they have read there (v1.23; the
    /// root's own id when none yet). Replies newer than it are unread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_read: Option<i64>,
    /// The `client_id` its author sent it with, on the `message` event and the `message` ack
    /// (v1.24): the author's tabs and devices know it for the copy they show as sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// How far a thread has gone (v1.22): `{count, last_id, last_ts}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    /// Its replies (a deleted one still counts: its placeholder stays).
    pub count: u64,
    /// The id of its newest reply.
    pub last_id: i64,
    /// When that reply was stored (server ms).
    pub last_ts: i64,
}

impl ThreadSummary {
    /// Of two summaries of one thread, the newer (replies only ever add to a thread).
    #[must_use]
    pub fn newer(self, other: Option<Self>) -> Self {
        match other {
            Some(other) if other.last_id > self.last_id => other,
            _ => self,
        }
    }
}

/// What a link leads to, read by the server from the page (v1.16): its title, description and
/// a small copy of its image. Every field is plain text for display, never markup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPreview {
    /// The link it previews, as the message's text has it (`http://` or `https://`).
    pub url: String,
    /// The site's name (`og:site_name`), else the link's host.
    pub site: String,
    /// The page's title (at most [`crate::validate::LINK_TITLE_MAX`] characters).
    pub title: String,
    /// Its description (at most [`crate::validate::LINK_DESCRIPTION_MAX`] characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A copy of its image made by this server, at most
    /// [`crate::validate::PREVIEW_MAX_SIDE`] pixels a side (`/api/link-images/<id>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

/// `message_preview` event: the preview of a message's first link was made (v1.16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePreview {
    /// Room name.
    pub room: String,
    /// Message id.
    pub id: i64,
    /// The preview (always sent by this server; a client treats its absence as none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<LinkPreview>,
}

/// Who pinned a message in its room, and when (v1.14).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// Who pinned it.
    pub by: Author,
    /// When (server ms).
    pub ts: i64,
}

/// A file uploaded with `POST /api/files` (v1.4): `{id, name, size, content_type, url,
/// preview_url?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Its id ([`crate::validate::attachment_id`]).
    pub id: String,
    /// The file's name as uploaded, made safe ([`crate::validate::file_name`]).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// The type the server found in the content (not the one the uploader claimed).
    pub content_type: String,
    /// Where members of the room download it ([`crate::links::file`]).
    pub url: String,
    /// For images: a bounded preview (at most [`crate::validate::PREVIEW_MAX_SIDE`] pixels a
    /// side) to show inline ([`crate::links::file_preview`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_url: Option<String>,
}

/// One emoji's reactions on a message: `{emoji, count, users}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// The emoji.
    pub emoji: String,
    /// How many people reacted with it.
    pub count: u64,
    /// Who: user ids, in the order they reacted (the first
    /// [`crate::validate::REACTION_USERS_LISTED`]).
    pub users: Vec<i64>,
}

/// The quoted preview of the message a reply answers: `{id, user, excerpt}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyPreview {
    /// The original message's id (same room).
    pub id: i64,
    /// Its author.
    pub user: Author,
    /// Its first characters (at most [`crate::validate::EXCERPT_MAX`]); empty if it was deleted.
    pub excerpt: String,
}

/// `message` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReq {
    /// Room name; the socket must have joined it.
    pub room: String,
    /// Text, 1–4000 characters after trimming.
    pub text: String,
    /// Client-chosen id that makes a resend idempotent (a string or a number on the wire).
    #[serde(
        default,
        deserialize_with = "client_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_id: Option<String>,
    /// The id of a message in the same room that this one answers (v1.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<i64>,
    /// Ids of files the sender uploaded to this room and has not sent yet (v1.4; at most
    /// [`crate::validate::ATTACHMENTS_MAX`]). With attachments the text may be empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
    /// Reply in the thread of this message of the same room (v1.22): a root, or a reply in a
    /// thread (which stands for its root). A thread of a deleted message takes no replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
}

/// `mark_thread_read` request (v1.23): the caller read the thread of `root` in `room` up to
/// reply `id`. A marker never moves back, and only a thread the caller follows has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkThreadReadReq {
    /// Room name.
    pub room: String,
    /// The thread's root.
    pub root: i64,
    /// The newest reply read.
    pub id: i64,
}

/// `threads` request (v1.30): the threads the caller follows, the one with the newest reply
/// first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadsReq {
    /// Only threads whose newest reply is older than this reply id (the `next` of the previous
    /// page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// At most this many (1–100, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `threads` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadsRes {
    /// The threads, the one with the newest reply first.
    pub threads: Vec<FollowedThread>,
    /// More follow: ask again with this as `before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

/// A thread the reader follows (v1.30): its root as it is now (with `replies` and the
/// reader's `thread_read`), and how many replies from others came after what they read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowedThread {
    /// The thread's root.
    pub root: Message,
    /// Replies from others after the reader's marker, at most 999 (a deleted one counts, as
    /// in `replies`).
    pub unread: u64,
}

/// `edit` request: new text for one of the caller's messages (v1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditReq {
    /// Message id.
    pub id: i64,
    /// The new text (same rules as `message`).
    pub text: String,
}

/// `edit` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditRes {
    /// The message as it is now (with `edited_ts`).
    pub message: Message,
}

/// `delete` request: by the author, the room's owner or an admin (v1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteReq {
    /// Message id.
    pub id: i64,
}

/// `react` request: add (`active`) or take back a reaction (v1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactReq {
    /// Message id.
    pub id: i64,
    /// One emoji ([`crate::validate::emoji`]).
    pub emoji: String,
    /// Add it (`true`) or take it back.
    pub active: bool,
}

/// `pin` request: pin a message in its room, or unpin it (v1.14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinReq {
    /// Message id.
    pub id: i64,
    /// Pin it (`true`) or unpin it.
    pub pinned: bool,
}

/// `pins` request: a room's pinned messages (v1.14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinsReq {
    /// Room name.
    pub room: String,
}

/// `pins` ack body: the pinned messages as they are now, the latest pinned first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinsRes {
    /// At most [`crate::validate::PINS_MAX`].
    pub messages: Vec<Message>,
    /// The list was cut to fit in one packet (the latest pinned are kept).
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
}

/// `message_pinned` event: a message was pinned or unpinned (v1.14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePinned {
    /// Room name.
    pub room: String,
    /// Message id.
    pub id: i64,
    /// Pinned now (`true`) or not.
    pub pinned: bool,
    /// Who pinned or unpinned it.
    pub by: Author,
    /// When (server ms).
    pub ts: i64,
}

/// `save_message` request: put a message in the caller's saved list, or take it out (v1.15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveMessageReq {
    /// Message id.
    pub id: i64,
    /// Save it (`true`) or take it out.
    pub saved: bool,
}

/// `saved_messages` request: a page of the caller's saved list, the latest saved first (v1.15).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMessagesReq {
    /// Only those saved before this (the `next` of the previous page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// At most this many (1–100, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `saved_messages` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMessagesRes {
    /// The saved messages as they are now, with when each was saved.
    pub items: Vec<SavedMessage>,
    /// More are saved: ask again with this as `before`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

/// One saved message: `{message, saved_ts}` (v1.15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMessage {
    /// The message as it is now.
    pub message: Message,
    /// When it was saved (server ms; no two of one person's alike).
    pub saved_ts: i64,
}

/// `message_saved` event: a message went into the user's saved list or out of it (v1.15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSaved {
    /// Room name.
    pub room: String,
    /// Message id.
    pub id: i64,
    /// Saved now (`true`) or not.
    pub saved: bool,
    /// When (server ms).
    pub ts: i64,
}

/// `changes` request: messages of a room edited, deleted or reacted to after `since` (server
/// ms), for a client that was away (v1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesReq {
    /// Room name.
    pub room: String,
    /// Server time (ms): changes after it.
    pub since: i64,
    /// At most this many (1–100, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `changes` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesRes {
    /// The changed messages as they are now, oldest change first.
    pub messages: Vec<Message>,
    /// The server time of the newest change listed (ask again from here when `more`).
    pub until: i64,
    /// More changes exist after `until`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
}

/// `search` request: messages matching every word of `q` (as a word or the start of one) in
/// the rooms the caller can see, or in one of them (v1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchReq {
    /// The words to find ([`crate::validate::search_terms`]).
    pub q: String,
    /// Only this room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// At most this many (1–50, default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `search` ack body: the newest matches first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchRes {
    /// The matches.
    pub results: Vec<SearchHit>,
}

/// One match: the message, and the part of its text around the words found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The message as it is now.
    pub message: Message,
    /// Plain text: up to [`crate::validate::SNIPPET_CONTEXT`] characters either side of the first
    /// word found, with `…` where it was cut.
    pub snippet: String,
    /// The words found in `snippet`, as `[start, end)` offsets in characters (Unicode scalar
    /// values), for highlighting (addition).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<[u32; 2]>,
}

/// `message_edited` event: the message as it is now, with `edited_ts` (v1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageEdited(pub Message);

/// `message_deleted` event (v1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageDeleted {
    /// Room name.
    pub room: String,
    /// Message id.
    pub id: i64,
}

/// `reaction` event: someone added or took back a reaction (v1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactionEvent {
    /// Room name.
    pub room: String,
    /// Message id.
    pub id: i64,
    /// The emoji.
    pub emoji: String,
    /// Who.
    pub user: Author,
    /// Added (`true`) or taken back.
    pub active: bool,
    /// How many have reacted with this emoji now (v1.5): a message lists only its first
    /// reactors, so a client sets its count from this rather than counting itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

/// `history` request; `before` / `after` are message ids (exclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryReq {
    /// Room name.
    pub room: String,
    /// Only messages with a smaller id (older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// Only messages with a larger id (newer): how a reconnecting client catches up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// At most this many (1–100, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Only the room's own timeline: no replies in threads (v1.22).
    #[serde(default, skip_serializing_if = "is_false")]
    pub main: bool,
    /// Only this thread: its root and its replies (v1.22; not with `main`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
}

/// `message` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRes {
    /// The stored message (the original one on an idempotent resend).
    pub message: Message,
}

/// `history` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRes {
    /// Messages, oldest first.
    pub messages: Vec<Message>,
    /// Set when the page was cut short of `limit` to fit in one packet, although more
    /// messages match: ask again from the last one received (addition to PROTOCOL.md v1).
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
}

/// Accepts a client id as a JSON string or integer.
fn client_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    Ok(
        Option::<Raw>::deserialize(deserializer)?.map(|raw| match raw {
            Raw::Text(text) => text,
            Raw::Number(number) => number.to_string(),
        }),
    )
}
