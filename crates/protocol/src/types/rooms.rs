//! Rooms: the directory, creating, joining, members, invites, DMs, topics, and the events that
//! announce rooms.

use serde::{Deserialize, Serialize};

use super::is_false;
use super::messages::Message;
use super::people::User;
use super::room_list::ReadMarker;

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
    /// For a group conversation (v1.20): the other members' names, sorted; empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dm_group: Vec<String>,
    /// The id of the user who created it, who moderates it with the admins (v1.3; absent for
    /// DMs and rooms whose creator is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<i64>,
}

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

/// `join` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinReq {
    /// Room name.
    pub room: String,
    /// The latest page of the room's own timeline, without replies in threads (v1.22).
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub main: bool,
}

impl JoinReq {
    /// Joins `room`, with the latest page of everything in it (as in v1).
    #[must_use]
    pub fn new(room: impl Into<String>) -> Self {
        Self {
            room: room.into(),
            main: false,
        }
    }
}

room_requests! {
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

/// `group_dm` request (v1.20): a conversation of the sender and 2 to 7 others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDmReq {
    /// Who else is in it (validated by [`crate::validate::group_dm_people`]).
    pub usernames: Vec<String>,
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
    /// The caller's read marker in the room, counted after `history` was read (v1.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<ReadMarker>,
}
