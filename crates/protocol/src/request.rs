//! Typed requests and events: every client→server request names its namespace, event and
//! answer type, and every server→client event its namespace and event name, so that no other
//! crate spells an event name and a client cannot pair a request with the wrong answer.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::events::{admin, chat, notifications};
use crate::types::*;
use crate::{Empty, ErrorBody};

/// A client→server event that is answered with an ack `{"ok":true, ..Response}` or an error.
pub trait Request: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Namespace path, e.g. `/chat`.
    const NS: &'static str;
    /// Event name.
    const EVENT: &'static str;
    /// The ack body on success (flattened next to `"ok": true`).
    type Response: Serialize + DeserializeOwned + Send + Sync + 'static;
}

/// A server→client event.
pub trait ServerEvent: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Namespace path.
    const NS: &'static str;
    /// Event name.
    const EVENT: &'static str;
}

macro_rules! requests {
    ($($ns:ident :: $event:ident => $req:ty => $res:ty;)*) => {
        $(impl Request for $req {
            const NS: &'static str = $ns::NS;
            const EVENT: &'static str = $ns::$event;
            type Response = $res;
        })*

        /// Every request of the contract as `(namespace, event)`, in contract order.
        pub const REQUESTS: &[(&str, &str)] = &[$(($ns::NS, $ns::$event)),*];
    };
}

macro_rules! server_events {
    ($($ns:ident :: $event:ident => $ty:ty;)*) => {
        $(impl ServerEvent for $ty {
            const NS: &'static str = $ns::NS;
            const EVENT: &'static str = $ns::$event;
        })*

        /// Every server event of the contract as `(namespace, event)` (`error` is listed in
        /// [`crate::events::ERROR`]: it exists in every namespace).
        pub const SERVER_EVENTS: &[(&str, &str)] = &[$(($ns::NS, $ns::$event)),*];
    };
}

requests! {
    chat::ROOMS => RoomsReq => RoomsRes;
    chat::CREATE_ROOM => CreateRoomReq => CreateRoomRes;
    chat::JOIN => JoinReq => JoinRes;
    chat::LEAVE => LeaveReq => Empty;
    chat::MESSAGE => MessageReq => MessageRes;
    chat::TYPING => TypingReq => Empty;
    chat::HISTORY => HistoryReq => HistoryRes;
    chat::INVITE => InviteReq => Empty;
    chat::DM => DmReq => CreateRoomRes;
    chat::GROUP_DM => GroupDmReq => CreateRoomRes;
    chat::MEMBERS => MembersReq => MembersRes;
    chat::LEAVE_ROOM => LeaveRoomReq => Empty;
    chat::SAVED_ROOMS => SavedRoomsReq => SavedRoomsRes;
    chat::MARK_ROOM_READ => MarkRoomReadReq => ReadMarker;
    chat::MARK_THREAD_READ => MarkThreadReadReq => Empty;
    chat::THREADS => ThreadsReq => ThreadsRes;
    chat::HIDE_ROOM => HideRoomReq => Empty;
    chat::MUTE_ROOM => MuteRoomReq => Empty;
    chat::EDIT => EditReq => EditRes;
    chat::DELETE => DeleteReq => Empty;
    chat::REACT => ReactReq => Empty;
    chat::CHANGES => ChangesReq => ChangesRes;
    chat::SEARCH => SearchReq => SearchRes;
    chat::KICK => KickReq => Empty;
    chat::MUTE => MuteReq => Empty;
    chat::SET_TOPIC => SetTopicReq => SetTopicRes;
    chat::BLOCK => BlockReq => Empty;
    chat::UNBLOCK => UnblockReq => Empty;
    chat::BLOCKS => BlocksReq => Blocks;
    chat::FIND_PEOPLE => PeopleReq => PeopleRes;
    chat::SET_STATUS => SetStatusReq => Empty;
    chat::ACTIVITY => ActivityReq => Empty;
    chat::PROFILES => ProfilesReq => ProfilesRes;
    chat::SET_DISPLAY_NAME => SetDisplayNameReq => Profile;
    chat::PIN => PinReq => Empty;
    chat::PINS => PinsReq => PinsRes;
    chat::SAVE_MESSAGE => SaveMessageReq => Empty;
    chat::SAVED_MESSAGES => SavedMessagesReq => SavedMessagesRes;
    chat::CREATE_WEBHOOK => CreateWebhookReq => CreateWebhookRes;
    chat::WEBHOOKS => WebhooksReq => WebhooksRes;
    chat::DELETE_WEBHOOK => DeleteWebhookReq => Empty;
    chat::CREATE_BOT => CreateBotReq => BotTokenRes;
    chat::BOTS => BotsReq => BotsRes;
    chat::BOT_TOKEN => BotTokenReq => BotTokenRes;
    chat::DELETE_BOT => DeleteBotReq => Empty;
    chat::REGISTER_COMMAND => RegisterCommandReq => RegisterCommandRes;
    chat::UNREGISTER_COMMAND => UnregisterCommandReq => Empty;
    chat::COMMANDS => CommandsReq => CommandsRes;
    chat::RUN_COMMAND => RunCommandReq => RunCommandRes;
    notifications::SUBSCRIBE => SubscribeReq => Empty;
    notifications::UNSUBSCRIBE => UnsubscribeReq => Empty;
    notifications::MARK_READ => MarkReadReq => Empty;
    notifications::MARK_ALL_READ => MarkAllReadReq => Empty;
    admin::SET_ROLE => SetRoleReq => SetRoleRes;
    admin::CLOSE_ROOM => CloseRoomReq => Empty;
    admin::BAN => BanReq => Empty;
    admin::UNBAN => UnbanReq => Empty;
    admin::AUDIT => AuditReq => AuditRes;
    admin::DELETE_USER => DeleteUserReq => Empty;
    admin::CLEAR_PROFILE => ClearProfileReq => Empty;
}

server_events! {
    chat::WELCOME => Welcome;
    chat::MESSAGE => Message;
    chat::USER_JOINED => UserJoined;
    chat::USER_LEFT => UserLeft;
    chat::MEMBERS => Members;
    chat::TYPING => Typing;
    chat::OCCUPANCY => Occupancy;
    chat::ROOM_CLOSED => RoomClosed;
    chat::RESTARTING => Restarting;
    chat::RESYNC => Resync;
    chat::ROOM_SAVED => SavedRoom;
    chat::ROOM_REMOVED => RoomRemoved;
    chat::READ_MARKER => ReadMarker;
    chat::ROOM_CREATED => RoomCreated;
    chat::MESSAGE_EDITED => MessageEdited;
    chat::MESSAGE_DELETED => MessageDeleted;
    chat::REACTION => ReactionEvent;
    chat::ROOM_UPDATED => RoomUpdated;
    chat::BLOCKS => Blocks;
    chat::MESSAGE_PINNED => MessagePinned;
    chat::PROFILE_UPDATED => Profile;
    chat::COMMANDS_CHANGED => CommandsChanged;
    chat::MESSAGE_SAVED => MessageSaved;
    chat::MESSAGE_PREVIEW => MessagePreview;
    notifications::NOTIFICATION => Notification;
    admin::STATS => Stats;
    admin::AUDIT_ENTRY => AuditEntry;
}

/// The `error` event (`{code, message}`) a namespace sends for a failed event that asked for
/// no ack; every namespace uses the same name, [`crate::events::ERROR`].
pub type ErrorEvent = ErrorBody;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_request_is_named_once() {
        let unique: HashSet<_> = REQUESTS.iter().collect();
        assert_eq!(unique.len(), REQUESTS.len());
        let unique: HashSet<_> = SERVER_EVENTS.iter().collect();
        assert_eq!(unique.len(), SERVER_EVENTS.len());
    }

    #[test]
    fn types_know_their_names() {
        assert_eq!(
            (JoinReq::NS, JoinReq::EVENT),
            (chat::NS, "join"),
            "the wire name of join"
        );
        assert_eq!(Notification::NS, notifications::NS);
        assert_eq!(<UserLeft as ServerEvent>::EVENT, "user_left");
    }
}
