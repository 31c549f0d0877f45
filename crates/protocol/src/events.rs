//! Namespace paths, event names and the other fixed strings of the contract (connect refusal
//! reasons, notification kinds, audit actions, the `general` room). No other crate spells
//! these strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The `error` event a namespace sends for a failed event that asked for no ack (every
/// namespace uses this name).
pub const ERROR: &str = "error";

/// S→C on every namespace: this node is shutting down; reconnect now (to another node, or to
/// this one once it is back) rather than after a backoff delay (addition to PROTOCOL.md v1).
pub const RESTARTING: &str = "restarting";

/// The public room that always exists.
pub const GENERAL_ROOM: &str = "general";

/// Why a namespace CONNECT was refused: the `message` of the CONNECT_ERROR packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectRefusal {
    /// No valid credential.
    Unauthorized,
    /// Valid credential, insufficient role.
    Forbidden,
    /// Too many sockets for this user or address (addition to PROTOCOL.md v1).
    RateLimited,
    /// The server failed to check.
    Internal,
}

impl ConnectRefusal {
    /// Every refusal, for tests and documentation.
    pub const ALL: [Self; 4] = [
        Self::Unauthorized,
        Self::Forbidden,
        Self::RateLimited,
        Self::Internal,
    ];

    /// The wire spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }

    /// Parses the wire spelling.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for ConnectRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Declares a string enum of the wire: the contract's words as variants, and `Other` for any
/// other word (a newer server's, or one an admin chose), so an old client still decodes it.
macro_rules! open_words {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $word:expr,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// Another word.
            Other(String),
        }

        impl $name {
            /// The words of the contract (not `Other`).
            pub const KNOWN: &[Self] = &[$(Self::$variant),*];

            /// The wire spelling.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $word,)*
                    Self::Other(word) => word,
                }
            }

            /// The variant a word names (`Other` for a word the contract does not know).
            #[must_use]
            pub fn parse(word: &str) -> Self {
                match word {
                    $(w if w == $word => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(word: &str) -> Self {
                Self::parse(word)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(|word| Self::parse(&word))
            }
        }
    };
}

open_words! {
    /// What a notification is about: the kinds the server sends itself, or another word an
    /// admin pushed (`announcement`, say).
    NotificationKind {
        /// Someone `@mentioned` the user.
        Mention => "mention",
        /// Someone invited the user to a private room.
        Invite => "invite",
        /// A direct message arrived while the user was not in the conversation.
        Dm => "dm",
        /// A moderator muted the user in a room, lifted the mute, or removed them from a
        /// private room (v1.12).
        Moderation => "moderation",
        /// A reply in a thread the user follows: one they started or replied in (v1.22).
        Thread => "thread",
    }
}

open_words! {
    /// The `action` of an [`crate::AuditEntry`]: the request that did it, or `unmute` for a
    /// mute of 0 minutes (v1.3).
    AuditAction {
        /// Removed from a private room.
        Kick => chat::KICK,
        /// Muted in a room for a time.
        Mute => chat::MUTE,
        /// A mute lifted.
        Unmute => "unmute",
        /// Someone else's message deleted.
        Delete => chat::DELETE,
        /// An account banned.
        Ban => admin::BAN,
        /// A ban lifted.
        Unban => admin::UNBAN,
        /// A room closed.
        CloseRoom => admin::CLOSE_ROOM,
        /// A role changed.
        SetRole => admin::SET_ROLE,
        /// An account deleted, by its owner or an admin (v1.9).
        DeleteUser => admin::DELETE_USER,
        /// An admin downloaded someone's data (v1.9).
        Export => "export",
        /// What a banned account made recently was removed with its ban (v1.10).
        RemoveContent => "remove_content",
        /// An account's picture and display name taken away (v1.32).
        ClearProfile => admin::CLEAR_PROFILE,
    }
}

/// Every namespace the server serves.
pub const NAMESPACES: [&str; 3] = [chat::NS, notifications::NS, admin::NS];

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
    /// S→C `{room, users}` (full presence list); C→S `{room}` → `{ok, users, total}` (addition).
    pub const MEMBERS: &str = "members";
    /// C→S `{room}` → `{ok}`: give up membership of a private room, or decline an invite
    /// (addition to PROTOCOL.md v1).
    pub const LEAVE_ROOM: &str = "leave_room";
    /// S→C `{rooms, ts}` every 5 s.
    pub const OCCUPANCY: &str = "occupancy";
    /// S→C `{code, message}` for failed events sent without an ack.
    pub const ERROR: &str = super::ERROR;
    /// C→S `{username}` → `{ok, room}`: the private room of two (addition to PROTOCOL.md v1).
    pub const DM: &str = "dm";
    /// C→S `{usernames}` → `{ok, room}`: the conversation of the sender and 2 to 7 others
    /// (v1.20).
    pub const GROUP_DM: &str = "group_dm";
    /// S→C `{room}`: an admin closed the room; its sockets were removed (addition).
    pub const ROOM_CLOSED: &str = "room_closed";
    /// S→C `{}`: the node is shutting down; reconnect now (sent on every namespace).
    pub const RESTARTING: &str = super::RESTARTING;
    /// S→C `{since}`: messages stored since `since` (ms) may not have reached you (a server
    /// node failed): re-read each joined room's history from there (addition to PROTOCOL.md v1).
    pub const RESYNC: &str = "resync";
    /// C→S `{}` → `{ok, rooms:[SavedRoom]}`: the rooms in the user's list (addition, v1.2).
    pub const SAVED_ROOMS: &str = "saved_rooms";
    /// C→S `{room, id}` → `{ok, room, last_read, unread}`: move the read marker (v1.2).
    pub const MARK_ROOM_READ: &str = "mark_room_read";
    /// C→S `{room}` → `{ok}`: take a room out of the user's list on every device (v1.2).
    pub const HIDE_ROOM: &str = "hide_room";
    /// C→S `{room, muted}` → `{ok}`: silence a room of the user's list, or not (v1.2).
    pub const MUTE_ROOM: &str = "mute_room";
    /// S→C `SavedRoom`: a room was added to the user's list, or changed there (v1.2).
    pub const ROOM_SAVED: &str = "room_saved";
    /// S→C `{room}`: a room left the user's list (v1.2).
    pub const ROOM_REMOVED: &str = "room_removed";
    /// S→C `{room, last_read, unread}`: the user's read marker moved (v1.2).
    pub const READ_MARKER: &str = "read_marker";
    /// S→C `Room`: a new public room exists (v1.2).
    pub const ROOM_CREATED: &str = "room_created";
    /// C→S `{room, root, id}` → `{ok}`: the caller read the thread of `root` up to reply `id`
    /// (v1.23; only a thread they follow keeps a marker).
    pub const MARK_THREAD_READ: &str = "mark_thread_read";
    /// C→S `{before?, limit?}` → `{ok, threads, next?}`: the threads the caller follows,
    /// with how many replies each has they have not read (v1.30).
    pub const THREADS: &str = "threads";
    /// C→S `{id, text}` → `{ok, message}`: the author edits a message (v1.3).
    pub const EDIT: &str = "edit";
    /// C→S `{id}` → `{ok}`: the author, the room's owner or an admin deletes a message (v1.3).
    pub const DELETE: &str = "delete";
    /// C→S `{id, emoji, active}` → `{ok}`: add or take back a reaction (v1.3).
    pub const REACT: &str = "react";
    /// C→S `{room, since, limit?}` → `{ok, messages, until, more?}`: what changed while away (v1.3).
    pub const CHANGES: &str = "changes";
    /// C→S `{q, room?, limit?}` → `{ok, results:[{message, snippet, highlights}]}`: full-text
    /// search in the rooms the caller can see (v1.3).
    pub const SEARCH: &str = "search";
    /// C→S `{room, username}` → `{ok}`: the room's creator or an admin removes a member from a
    /// private room (v1.3).
    pub const KICK: &str = "kick";
    /// C→S `{room, username, minutes}` → `{ok}`: the room's creator or an admin mutes someone
    /// in a room for a time (0 lifts it) (v1.3).
    pub const MUTE: &str = "mute";
    /// S→C `Message` (with `edited_ts`): a message was edited (v1.3).
    pub const MESSAGE_EDITED: &str = "message_edited";
    /// S→C `{room, id}`: a message was deleted (v1.3).
    pub const MESSAGE_DELETED: &str = "message_deleted";
    /// S→C `{room, id, emoji, user, active}`: a reaction was added or taken back (v1.3).
    pub const REACTION: &str = "reaction";
    /// C→S `{room, topic?}` → `{ok, room}`: the room's creator or an admin changes its topic
    /// (v1.4).
    pub const SET_TOPIC: &str = "set_topic";
    /// S→C `{room: Room}`: a room's topic changed (v1.4).
    pub const ROOM_UPDATED: &str = "room_updated";
    /// C→S `{username}` → `{ok}`: their DMs, invites and mentions no longer reach you (v1.11).
    pub const BLOCK: &str = "block";
    /// C→S `{username}` → `{ok}`: lift a block (v1.11).
    pub const UNBLOCK: &str = "unblock";
    /// C→S `{}` → `{ok, users}`: whom you block; S→C `{users}` when that changed on any of
    /// your devices (v1.11).
    pub const BLOCKS: &str = "blocks";
    /// C→S `{q?, after?, limit?}` → `{ok, people: [{user, online}], more?}`: everyone on this
    /// server, by name, with whether they are online (v1.12).
    pub const FIND_PEOPLE: &str = "find_people";
    /// C→S `{status}` → `{ok}`: the caller's status line, shown in the directory (v1.13).
    pub const SET_STATUS: &str = "set_status";
    /// C→S `{}` → `{ok}`: the person is at the keyboard; no news for a while makes them
    /// `away` in the directory (v1.21).
    pub const ACTIVITY: &str = "activity";
    /// C→S `{ids}` → `{ok, profiles: [{id, avatar?, name?}]}`: how these people show (v1.25).
    pub const PROFILES: &str = "profiles";
    /// S→C `{id, avatar?, name?}`: someone changed how they show, to every `/chat` socket
    /// (v1.25).
    pub const PROFILE_UPDATED: &str = "profile_updated";
    /// C→S `{name}` → `{ok, id, avatar?, name?}`: the caller's display name; empty clears it
    /// (v1.26).
    pub const SET_DISPLAY_NAME: &str = "set_display_name";
    /// C→S `{id, pinned}` → `{ok}`: a moderator of the room (either person in a DM) pins a
    /// message, or unpins it (v1.14).
    pub const PIN: &str = "pin";
    /// C→S `{room}` → `{ok, messages}`: a room's pinned messages, the latest pinned first
    /// (v1.14).
    pub const PINS: &str = "pins";
    /// S→C `{room, id, pinned, by, ts}`: a message was pinned or unpinned (v1.14).
    pub const MESSAGE_PINNED: &str = "message_pinned";
    /// C→S `{id, saved}` → `{ok}`: put a message in the caller's saved list, or take it out
    /// (v1.15).
    pub const SAVE_MESSAGE: &str = "save_message";
    /// C→S `{before?, limit?}` → `{ok, items: [{message, saved_ts}], next?}`: the caller's
    /// saved messages, the latest saved first (v1.15).
    pub const SAVED_MESSAGES: &str = "saved_messages";
    /// S→C `{room, id, saved, ts}`: a message was saved or taken out of the list, on any of
    /// the user's devices (v1.15).
    pub const MESSAGE_SAVED: &str = "message_saved";
    /// S→C `{room, id, preview?}`: the server made the preview of a message's first link,
    /// after it was sent or edited to another link (v1.16). A `message_edited` whose message
    /// has no `preview` says it has none.
    pub const MESSAGE_PREVIEW: &str = "message_preview";
    /// C→S `{room, name}` → `{ok, webhook, url}`: a moderator of the room makes an incoming
    /// webhook posting as a bot named `name` (v1.19).
    pub const CREATE_WEBHOOK: &str = "create_webhook";
    /// C→S `{room}` → `{ok, webhooks}`: the room's webhooks, to its moderators (v1.19).
    pub const WEBHOOKS: &str = "webhooks";
    /// C→S `{id}` → `{ok}`: a moderator of the room deletes one of its webhooks (v1.19).
    pub const DELETE_WEBHOOK: &str = "delete_webhook";
    /// C→S `{name}` → `{ok, bot, token}`: a bot of the caller's, and its API token (v1.28).
    pub const CREATE_BOT: &str = "create_bot";
    /// C→S `{}` → `{ok, bots}`: the caller's bots (an admin's: every bot) (v1.28).
    pub const BOTS: &str = "bots";
    /// C→S `{id}` → `{ok, bot, token}`: a new API token for a bot; earlier ones stop working
    /// (v1.28).
    pub const BOT_TOKEN: &str = "bot_token";
    /// C→S `{id}` → `{ok}`: the bot signs in no more; its messages stay (v1.28).
    pub const DELETE_BOT: &str = "delete_bot";
    /// C→S `{name, description, url}` → `{ok, command, secret}`: a bot registers a slash
    /// command answered at `url` (v1.29).
    pub const REGISTER_COMMAND: &str = "register_command";
    /// C→S `{name}` → `{ok}`: a bot removes one of its commands (v1.29).
    pub const UNREGISTER_COMMAND: &str = "unregister_command";
    /// C→S `{}` → `{ok, commands}`: every bot command (v1.29).
    pub const COMMANDS: &str = "commands";
    /// S→C `{}`: the bot commands changed; ask `commands` again (v1.29).
    pub const COMMANDS_CHANGED: &str = "commands_changed";
    /// C→S `{room, name, text, thread?}` → `{ok, reply?, message?}`: someone uses a bot's
    /// command in a room (v1.29).
    pub const RUN_COMMAND: &str = "run_command";
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
    /// C→S `{}` → `{ok}`: every notification of the user is read (addition to PROTOCOL.md v1).
    pub const MARK_ALL_READ: &str = "mark_all_read";
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
    /// C→S `{username}` → `{ok}`: ban an account: its sockets are disconnected, its sessions
    /// end and it cannot sign in (v1.3).
    pub const BAN: &str = "ban";
    /// C→S `{username}` → `{ok}`: lift a ban (v1.3).
    pub const UNBAN: &str = "unban";
    /// C→S `{limit?}` → `{ok, entries:[AuditEntry]}`: the newest moderation actions (v1.3).
    pub const AUDIT: &str = "audit";
    /// S→C `AuditEntry`: a moderation action was taken (v1.3).
    pub const AUDIT_ENTRY: &str = "audit_entry";
    /// C→S `{username, messages}` → `{ok}`: delete an account, keeping its messages (shown as
    /// from a deleted user) or removing them (v1.9).
    pub const DELETE_USER: &str = "delete_user";
    /// C→S `{username}` → `{ok}`: take away someone's picture and display name (v1.32).
    pub const CLEAR_PROFILE: &str = "clear_profile";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_words_round_trip_and_keep_unknown_words() {
        for kind in NotificationKind::KNOWN {
            assert_eq!(&NotificationKind::parse(kind.as_str()), kind);
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(
                &serde_json::from_str::<NotificationKind>(&json).unwrap(),
                kind
            );
        }
        let pushed: NotificationKind = serde_json::from_str("\"announcement\"").unwrap();
        assert_eq!(pushed, NotificationKind::Other("announcement".into()));
        assert_eq!(pushed.as_str(), "announcement");
        assert_eq!(AuditAction::parse("close_room"), AuditAction::CloseRoom);
        assert_eq!(AuditAction::SetRole.as_str(), admin::SET_ROLE);
        assert_eq!(
            serde_json::from_str::<AuditAction>("\"purge\"").unwrap(),
            AuditAction::Other("purge".into()),
            "an action a newer server records still decodes"
        );
        assert!(serde_json::from_str::<AuditAction>("7").is_err());
    }
}
