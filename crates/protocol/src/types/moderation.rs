//! Moderation and administration: kicks, mutes, bans, roles, the audit log, live stats.

use serde::{Deserialize, Serialize};

use super::people::{Role, User};
use crate::events::AuditAction;

/// `kick` request: remove `username` from the private room `room`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KickReq {
    /// Private room name.
    pub room: String,
    /// Who.
    pub username: String,
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanReq {
    /// Who.
    pub username: String,
    /// `ban` only (v1.10): also remove what the account made in the last this many hours
    /// (messages, the rooms it created, files), 1 to [`crate::validate::BAN_REMOVE_HOURS_MAX`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_hours: Option<u32>,
    /// `ban` only (v1.10): also refuse new accounts and guests from the addresses the account
    /// used, while it stays banned.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub addresses: bool,
}

/// What happens to the messages of an account being deleted (v1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessagesOnDelete {
    /// They stay, shown as written by a deleted user.
    Keep,
    /// They go too.
    Remove,
}

impl MessagesOnDelete {
    /// The wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keep => "keep",
            Self::Remove => "remove",
        }
    }
}

/// `/admin` `delete_user` request (v1.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteUserReq {
    /// Whose account.
    pub username: String,
    /// Their messages: kept (as from a deleted user) or removed.
    pub messages: MessagesOnDelete,
}

/// `/admin` `clear_profile` request (v1.32): an account's picture and display name go (an
/// offensive one), its account stays. Names the account by `username` or by `id` (a guest
/// who left keeps showing on their messages, but their name is no longer theirs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClearProfileReq {
    /// Whose, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Whose, by id (a message's author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Entry id, increasing.
    pub id: i64,
    /// When (ms).
    pub ts: i64,
    /// Who acted.
    pub actor: String,
    /// What: `kick`, `mute`, `unmute`, `ban`, `unban`, `delete`, `close_room`, `set_role`.
    pub action: AuditAction,
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
