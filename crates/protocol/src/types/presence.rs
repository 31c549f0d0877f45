//! Presence and the connection: who is in a room, who is typing, the occupancy board, the
//! greeting, and the notices of a node going away.

use serde::{Deserialize, Serialize};

use super::people::User;

/// `typing` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingReq {
    /// Room name.
    pub room: String,
    /// Whether the user is typing.
    pub active: bool,
    /// Typing a reply in the thread of this root (v1.27); absent: in the room itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
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
    /// Where (v1.27): in the thread of this root; absent: in the room itself. One person
    /// types in one place of a room at a time: typing somewhere else stops it where it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<i64>,
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

/// The CONNECT payload of a program (`auth` in socket.io-client, `auth=` in python-socketio):
/// the session token from the HTTP API. Browsers send none: their session cookie counts, from
/// an allowed origin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectAuth {
    /// A session token from `/api/auth/*`.
    #[serde(default)]
    pub token: Option<String>,
}
