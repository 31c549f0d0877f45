//! Each user's list of rooms with read markers (v1.2): the same rooms and unread counts on
//! every device.

use serde::{Deserialize, Serialize};

use super::is_false;
use super::rooms::Room;

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
    /// The id of the room's newest message when `unread` was counted (0: none), so a client
    /// can add exactly the messages after it (v1.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<i64>,
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
    /// The id of the room's newest message when `unread` was counted (v1.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub through: Option<i64>,
}

/// `mute_room` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MuteRoomReq {
    /// Room name (in the user's list).
    pub room: String,
    /// Silence it (`true`) or not.
    pub muted: bool,
}
