//! What [`Chat`] does over its connection: connecting, and everything sent or received over
//! it, one concern per module. Compiled on both targets: what differs between the browser and
//! the server's render is in [`super::platform`].

mod bots;
pub(super) mod connection;
mod conversation;
mod events;
#[cfg(feature = "hydrate")]
mod files;
mod notifications;
pub(super) mod outbox;
mod profiles;
mod rooms;
mod sending;
mod webhooks;

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::events::chat::NS;
use protocol::events::{GENERAL_ROOM, NotificationKind, notifications as notes};
use protocol::{
    ActivityReq, BlockReq, Blocks, BlocksReq, CreateRoomReq, DmReq, ErrorBody, GroupDmReq,
    HideRoomReq, HistoryReq, InviteReq, JoinReq, LeaveRoomReq, MarkAllReadReq, MarkReadReq,
    MarkRoomReadReq, MarkThreadReadReq, Members, Message, MessageDeleted, MessageEdited,
    MessagePinned, MessagePreview, MessageReq, MessageSaved, MuteRoomReq, Notification, Occupancy,
    PinReq, PinsReq, ReactionEvent, ReadMarker, Resync, RoomClosed, RoomCreated, RoomRemoved,
    RoomUpdated, RoomsReq, SaveMessageReq, SavedMessagesReq, SavedMessagesRes, SavedRoom,
    SavedRoomsReq, SetTopicReq, Typing, TypingReq, UnblockReq, User, UserJoined, UserLeft, Welcome,
};
use socket_client::{AckError, RequestError, Status};

use self::events::wire_events;
use self::notifications::wire_notifications;
use super::platform::{self, NsEvent, Socket};
use super::{Chat, remembered_room};
use crate::model::{ConnState, Line, Owed, RoomView, Rooms};

/// What to read when there is no connection to ask over.
const OFFLINE: &str = "not connected right now; try again in a moment";

fn describe(error: &RequestError) -> String {
    match error {
        RequestError::Server(ErrorBody { message, .. }) => message.clone(),
        RequestError::Emit(_) => OFFLINE.into(),
        RequestError::Ack(AckError::Timeout) => {
            "the server did not answer in time; try again".into()
        }
        RequestError::Ack(AckError::Disconnected) => {
            "the connection dropped before the server answered; try again".into()
        }
        RequestError::Decode(e) => format!("unexpected answer from the server: {e}"),
    }
}

impl Chat {
    /// Sends `request` over the tab's connection; `answer` gets the server's answer, or what
    /// went wrong in words (at once when there is no connection to ask over).
    fn ask<R: protocol::Request>(
        &self,
        request: R,
        answer: impl FnOnce(Result<R::Response, String>) + 'static,
    ) {
        let Some(socket) = self.socket() else {
            answer(Err(OFFLINE.into()));
            return;
        };
        spawn_local(async move {
            answer(
                socket
                    .request(&request)
                    .await
                    .map_err(|error| describe(&error)),
            );
        });
    }

    /// Whether the reader sees the room on screen: the chat page is mounted and the tab is
    /// visible.
    fn is_on_screen(&self) -> bool {
        self.reading.get_untracked() && platform::is_page_visible()
    }
}
