//! JSON payloads of `PROTOCOL.md`. Ids are `i64`, timestamps `ts` are Unix milliseconds.

use serde::{Deserialize, Deserializer, Serialize};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A temporary identity with only a name.
    Guest,
    /// A registered account.
    Member,
    /// May see `/admin`, push notifications and change roles.
    Admin,
}

impl Role {
    /// The role as written on the wire and in the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Guest => "guest",
            Self::Member => "member",
            Self::Admin => "admin",
        }
    }

    /// Parses the wire / database spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "guest" => Some(Self::Guest),
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// `{id, username, role}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Display name, unique case-insensitively.
    pub username: String,
    /// Role.
    pub role: Role,
}

/// The author of a message: `{id, username}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// User id.
    pub id: i64,
    /// Display name.
    pub username: String,
}

impl From<&User> for Author {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
        }
    }
}

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

/// A room as listed by `rooms` and returned by `create_room` / `join`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    /// Room name.
    pub name: String,
    /// Optional topic line.
    pub topic: Option<String>,
    /// Users present in the room now.
    pub members: u64,
    /// Whether only invited users may join.
    pub private: bool,
    /// For a direct-message room: the other person's name (addition to PROTOCOL.md v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_with: Option<String>,
    /// The id of the user who created it, who moderates it with the admins (v1.3; absent for
    /// DMs and rooms whose creator is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<i64>,
}

// ----- /chat requests (client → server) -----

/// `rooms` request; carries nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomsReq {}

/// `create_room` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoomReq {
    /// Room name (validated by [`crate::validate::room_name`]).
    pub name: String,
    /// Optional topic line.
    #[serde(default)]
    pub topic: Option<String>,
    /// Invite-only room.
    #[serde(default)]
    pub private: bool,
}

/// Declares request types that carry just a room name.
macro_rules! room_requests {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $($(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            /// Room name.
            pub room: String,
        })*
    };
}

room_requests! {
    /// `join` request.
    JoinReq;
    /// `leave` request: this socket stops following the room.
    LeaveReq;
    /// `leave_room` request: give up membership of a private room (or decline its invite).
    LeaveRoomReq;
    /// `/admin` `close_room` request.
    CloseRoomReq;
    /// `hide_room` request: take a room out of the user's list on every device.
    HideRoomReq;
    /// `room_removed` event: a room left the user's list.
    RoomRemoved;
}

/// `members` request: the full presence list of a joined room, a page at a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersReq {
    /// Room name; the socket must have joined it.
    pub room: String,
    /// Skip this many users (by name order); 0 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// `members` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersRes {
    /// Users present now, by name, from `offset` on (at most [`crate::validate::MEMBERS_PAGE`]).
    pub users: Vec<User>,
    /// How many users are present in all.
    pub total: u64,
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

/// `kick` request: remove `username` from the private room `room`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickReq {
    /// Private room name.
    pub room: String,
    /// Who.
    pub username: String,
}

/// `set_topic` request: the room's creator or an admin changes its topic (v1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetTopicReq {
    /// Room name.
    pub room: String,
    /// The new topic ([`crate::validate::topic`]); empty or absent clears it.
    #[serde(default)]
    pub topic: Option<String>,
}

/// `set_topic` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetTopicRes {
    /// The room as it is now.
    pub room: Room,
}

/// `mute` request: `username` may not send messages in `room` for `minutes` (0 lifts it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteReq {
    /// Room name.
    pub room: String,
    /// Who.
    pub username: String,
    /// For how long, 0 to [`crate::validate::MUTE_MINUTES_MAX`].
    pub minutes: u32,
}

/// `/admin` `ban` and `unban` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanReq {
    /// Who.
    pub username: String,
}

/// `/admin` `unban` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnbanReq(pub BanReq);

/// `/admin` `audit` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditReq {
    /// At most this many (1–100, default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `/admin` `audit` ack body: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRes {
    /// The entries.
    pub entries: Vec<AuditEntry>,
}

/// One moderation action: who did what to whom, where, when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Entry id, increasing.
    pub id: i64,
    /// When (ms).
    pub ts: i64,
    /// Who acted.
    pub actor: String,
    /// What: `kick`, `mute`, `unmute`, `ban`, `unban`, `delete`, `close_room`, `set_role`.
    pub action: String,
    /// To whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// More: the mute's length, the new role, the deleted message's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
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

/// `typing` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingReq {
    /// Room name.
    pub room: String,
    /// Whether the user is typing.
    pub active: bool,
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
}

/// `invite` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteReq {
    /// Private room name.
    pub room: String,
    /// Who to invite.
    pub username: String,
}

/// `dm` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmReq {
    /// Who to talk to.
    pub username: String,
}

/// `restarting`: the node is going away; reconnect at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restarting {}

/// `resync`: messages stored since `since` may not have reached this client live (a server
/// node failed): re-read each joined room's history from there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resync {
    /// Server time (ms since the Unix epoch) from which messages may be missing.
    pub since: i64,
}

/// `saved_rooms` request; carries nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRoomsReq {}

/// A room in a user's list (joined public rooms, private rooms, DMs): the `saved_rooms` ack
/// lists them and `room_saved` announces one that was added or changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRoom {
    /// The room.
    pub room: Room,
    /// Id of the newest message the user has read in it (0: none yet).
    pub last_read: i64,
    /// Messages from others after `last_read`, counted up to 999.
    pub unread: u64,
    /// The user silenced it: no toasts or browser notifications for its messages.
    #[serde(default)]
    pub muted: bool,
}

/// `saved_rooms` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRoomsRes {
    /// In the order they were saved.
    pub rooms: Vec<SavedRoom>,
    /// Set when the list was cut to fit in one packet.
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
}

/// `mark_room_read` request: the user has read `room` up to message `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkRoomReadReq {
    /// Room name (in the user's list).
    pub room: String,
    /// The newest message read; a marker never moves back.
    pub id: i64,
}

/// `read_marker` event and `mark_room_read` ack body: where a user's read marker is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMarker {
    /// Room name.
    pub room: String,
    /// Id of the newest message read.
    pub last_read: i64,
    /// Messages from others after it, counted up to 999.
    pub unread: u64,
}

/// `mute_room` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteRoomReq {
    /// Room name (in the user's list).
    pub room: String,
    /// Silence it (`true`) or not.
    pub muted: bool,
}

/// `room_created` event: a new public room, for everyone's directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomCreated {
    /// The room.
    pub room: Room,
}

/// `room_updated` event: a room's topic changed (v1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomUpdated {
    /// The room as it is now.
    pub room: Room,
}

/// `room_closed` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomClosed {
    /// Room name.
    pub room: String,
}

// ----- /chat ack bodies -----

/// `rooms` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomsRes {
    /// Rooms visible to the caller: their private rooms and DMs, then public rooms, busiest
    /// first, as many as fit in one packet.
    pub rooms: Vec<Room>,
    /// Set when more public rooms exist than were listed (addition to PROTOCOL.md v1).
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
}

/// `create_room` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateRoomRes {
    /// The new room.
    pub room: Room,
}

/// `join` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRes {
    /// The joined room.
    pub room: Room,
    /// Users present now, the caller included (in a very large room the first ones by name:
    /// at most [`crate::validate::MEMBERS_PAGE`], fewer if their names would fill half of
    /// the packet; `members_total` then says how many there are).
    pub members: Vec<User>,
    /// The last 50 messages, oldest first.
    pub history: Vec<Message>,
    /// Set when `members` was cut: how many users are present (addition to PROTOCOL.md v1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members_total: Option<u64>,
    /// Set when `history` was cut short to fit in one packet: older messages exist beyond
    /// the first one sent (addition to PROTOCOL.md v1).
    #[serde(default, skip_serializing_if = "is_false")]
    pub more: bool,
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

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(value: &bool) -> bool {
    !*value
}

// ----- /chat server events -----

/// `welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    /// The authenticated user.
    pub user: User,
    /// The server's clock, Unix milliseconds.
    pub server_time: i64,
    /// The largest file `POST /api/files` takes, in bytes (v1.4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_upload: Option<u64>,
}

/// The payload of `user_joined` / `user_left`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// Room name.
    pub room: String,
    /// The user who arrived or left.
    pub user: User,
}

/// `user_joined`: the first socket of a user entered the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserJoined(pub Presence);

/// `user_left`: the last socket of a user left the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserLeft(pub Presence);

/// `members`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Members {
    /// Room name.
    pub room: String,
    /// Users present now.
    pub users: Vec<User>,
}

/// `typing` as broadcast by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    /// Room name.
    pub room: String,
    /// The typist.
    pub user: User,
    /// Started (`true`) or stopped (`false`).
    pub active: bool,
}

/// One room of the occupancy board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOccupancy {
    /// Room name.
    pub name: String,
    /// Users present now.
    pub members: u64,
}

/// `occupancy`: public rooms and their live member counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occupancy {
    /// Public rooms: the busiest ones plus every room whose count changed since the previous
    /// `occupancy` (all public rooms when there are few), by name.
    pub rooms: Vec<RoomOccupancy>,
    /// When the snapshot was taken.
    pub ts: i64,
    /// Whether `rooms` lists every public room (addition to PROTOCOL.md v1).
    #[serde(default)]
    pub complete: bool,
}

// ----- /notifications -----

/// `subscribe` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeReq {
    /// Channel name.
    pub channel: String,
}

/// `unsubscribe` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeReq {
    /// Channel name.
    pub channel: String,
}

/// `mark_all_read` request; carries nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkAllReadReq {}

/// `mark_read` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkReadReq {
    /// Notification ids.
    pub ids: Vec<i64>,
}

/// `notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Notification id.
    pub id: i64,
    /// Kind, e.g. `mention` or `announcement`.
    pub kind: String,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Where clicking it leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it was created.
    pub ts: i64,
    /// Whether the user has read it.
    pub read: bool,
}

/// Who `POST /api/notifications` addresses: `{"user": id}` or `{"channel": "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushTarget {
    /// One user (all their tabs).
    User(i64),
    /// Every subscriber of a channel.
    Channel(String),
}

/// `POST /api/notifications` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReq {
    /// Recipient(s).
    pub to: PushTarget,
    /// Kind, e.g. `announcement`.
    pub kind: String,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Where clicking it leads.
    #[serde(default)]
    pub url: Option<String>,
}

/// `POST /api/notifications` answer (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRes {
    /// Id of the stored notification (for a channel: of the first subscriber's copy; 0 when
    /// the channel has no subscribers).
    pub id: i64,
    /// Sockets reached now.
    pub delivered: u64,
}

// ----- /admin -----

/// `set_role` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRoleReq {
    /// Whose role changes.
    pub username: String,
    /// The new role.
    pub role: Role,
}

/// `set_role` ack body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetRoleRes {
    /// The user with the new role.
    pub user: User,
}

/// One room in the admin stats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomStats {
    /// Room name.
    pub name: String,
    /// Users present now.
    pub members: u64,
    /// Messages stored in the room.
    pub messages: u64,
}

/// `stats`, every second to admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Distinct users with at least one `/chat` socket.
    pub connected_users: u64,
    /// Open `/chat` sockets.
    pub sockets: u64,
    /// Per-room numbers.
    pub rooms: Vec<RoomStats>,
    /// All stored messages.
    pub messages_total: u64,
    /// Messages stored in the last 60 seconds.
    pub messages_last_minute: u64,
    /// Seconds since the server started.
    pub uptime_s: u64,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn message_round_trips_in_contract_shape() {
        let value = json!({"id": 1, "room": "general", "user": {"id": 2, "username": "ana"}, "text": "hi", "ts": 3});
        let message: Message = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&message).unwrap(), value);
    }

    #[test]
    fn client_id_accepts_strings_and_numbers() {
        let a: MessageReq =
            serde_json::from_value(json!({"room": "r", "text": "t", "client_id": "abc"})).unwrap();
        let b: MessageReq =
            serde_json::from_value(json!({"room": "r", "text": "t", "client_id": 7})).unwrap();
        let c: MessageReq = serde_json::from_value(json!({"room": "r", "text": "t"})).unwrap();
        assert_eq!(a.client_id.as_deref(), Some("abc"));
        assert_eq!(b.client_id.as_deref(), Some("7"));
        assert_eq!(c.client_id, None);
        assert!(
            serde_json::from_value::<MessageReq>(
                json!({"room": "r", "text": "t", "client_id": [1]})
            )
            .is_err()
        );
    }

    #[test]
    fn wrong_types_are_rejected() {
        assert!(serde_json::from_value::<JoinReq>(json!({"room": 5})).is_err());
        assert!(serde_json::from_value::<JoinReq>(json!("general")).is_err());
        assert!(
            serde_json::from_value::<TypingReq>(json!({"room": "r", "active": "yes"})).is_err()
        );
        assert!(
            serde_json::from_value::<HistoryReq>(json!({"room": "r", "limit": "ten"})).is_err()
        );
    }

    #[test]
    fn create_room_defaults() {
        let req: CreateRoomReq = serde_json::from_value(json!({"name": "x"})).unwrap();
        assert_eq!(req.topic, None);
        assert!(!req.private);
    }

    #[test]
    fn roles_use_wire_names() {
        for role in [Role::Guest, Role::Member, Role::Admin] {
            assert_eq!(serde_json::to_value(role).unwrap(), json!(role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
