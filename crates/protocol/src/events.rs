//! Namespace paths and event names. No other crate spells these strings.

/// Namespace `/chat`: rooms, messages, presence, typing.
pub mod chat {
    /// The namespace path.
    pub const NS: &str = "/chat";
    /// C→S `{}` → `{ok, rooms}`.
    pub const ROOMS: &str = "rooms";
    /// C→S `{name, topic?, private?}` → `{ok, room}`.
    pub const CREATE_ROOM: &str = "create_room";
    /// C→S `{room}` → `{ok, room, members, history}`.
    pub const JOIN: &str = "join";
    /// C→S `{room}` → `{ok}`.
    pub const LEAVE: &str = "leave";
    /// C→S `{room, text, client_id?}` → `{ok, message}`; S→C `Message`.
    pub const MESSAGE: &str = "message";
    /// C→S `{room, active}`; S→C `{room, user, active}`.
    pub const TYPING: &str = "typing";
    /// C→S `{room, before?, after?, limit?}` → `{ok, messages}`.
    pub const HISTORY: &str = "history";
    /// C→S `{room, username}` → `{ok}`.
    pub const INVITE: &str = "invite";
    /// S→C `{user, server_time}` on connect.
    pub const WELCOME: &str = "welcome";
    /// S→C `{room, user}`.
    pub const USER_JOINED: &str = "user_joined";
    /// S→C `{room, user}`.
    pub const USER_LEFT: &str = "user_left";
    /// S→C `{room, users}`.
    pub const MEMBERS: &str = "members";
    /// S→C `{rooms, ts}` every 5 s.
    pub const OCCUPANCY: &str = "occupancy";
    /// S→C `{code, message}` for failed events sent without an ack.
    pub const ERROR: &str = "error";
    /// C→S `{username}` → `{ok, room}`: the private room of two (addition to PROTOCOL.md v1).
    pub const DM: &str = "dm";
    /// S→C `{room}`: an admin closed the room; its sockets were removed (addition).
    pub const ROOM_CLOSED: &str = "room_closed";
}

/// Namespace `/notifications`.
pub mod notifications {
    /// The namespace path.
    pub const NS: &str = "/notifications";
    /// C→S `{channel}` → `{ok}`.
    pub const SUBSCRIBE: &str = "subscribe";
    /// C→S `{channel}` → `{ok}`.
    pub const UNSUBSCRIBE: &str = "unsubscribe";
    /// C→S `{ids}` → `{ok}`.
    pub const MARK_READ: &str = "mark_read";
    /// S→C `Notification`.
    pub const NOTIFICATION: &str = "notification";
}

/// Namespace `/admin` (role `admin` only).
pub mod admin {
    /// The namespace path.
    pub const NS: &str = "/admin";
    /// S→C `Stats` every second.
    pub const STATS: &str = "stats";
    /// C→S `{username, role}` → `{ok, user}` (addition to PROTOCOL.md v1).
    pub const SET_ROLE: &str = "set_role";
    /// C→S `{room}` → `{ok}` (addition to PROTOCOL.md v1).
    pub const CLOSE_ROOM: &str = "close_room";
}
