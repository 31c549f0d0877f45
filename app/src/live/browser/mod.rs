//! The browser side of [`Chat`]: the Socket.IO connection and everything sent or received
//! over it, one concern per module.

pub(super) mod connection;
mod conversation;
mod events;
mod files;
mod notifications;
pub(super) mod outbox;
mod rooms;
mod sending;

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::events::chat::NS;
use protocol::events::{GENERAL_ROOM, NotificationKind, notifications as notes};
use protocol::{
    BlockReq, Blocks, BlocksReq, CreateRoomReq, DmReq, ErrorBody, HideRoomReq, HistoryReq,
    InviteReq, JoinReq, LeaveRoomReq, MarkAllReadReq, MarkReadReq, MarkRoomReadReq, Members,
    Message, MessageDeleted, MessageEdited, MessageReq, MuteRoomReq, Notification, Occupancy,
    ReactionEvent, ReadMarker, Resync, RoomClosed, RoomCreated, RoomRemoved, RoomUpdated, RoomsReq,
    SavedRoom, SavedRoomsReq, SetTopicReq, Typing, TypingReq, UnblockReq, User, UserJoined,
    UserLeft, Welcome,
};
use socket_client::browser::{NsEvent, Socket, same_origin_url};
use socket_client::{AckError, Config, RequestError, Status};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use self::events::wire_events;
use self::notifications::wire_notifications;
use super::{Chat, remembered_room};
use crate::model::{ConnState, Line, Owed, RoomView, Rooms};

fn describe(error: &RequestError) -> String {
    match error {
        RequestError::Server(ErrorBody { message, .. }) => message.clone(),
        RequestError::Emit(_) => "not connected right now; try again in a moment".into(),
        RequestError::Ack(AckError::Timeout) => {
            "the server did not answer in time; try again".into()
        }
        RequestError::Ack(AckError::Disconnected) => {
            "the connection dropped before the server answered; try again".into()
        }
        RequestError::Decode(e) => format!("unexpected answer from the server: {e}"),
    }
}

/// Waits `ms` milliseconds (a browser timer; longer waits are cut to about 50 days).
async fn pause(ms: u64) {
    gloo_timers::future::TimeoutFuture::new(ms.try_into().unwrap_or(u32::MAX)).await;
}

fn is_page_visible() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| !d.hidden())
}

impl Chat {
    /// Whether the reader sees the room on screen: the chat page is mounted and the tab is
    /// visible.
    fn is_on_screen(&self) -> bool {
        self.reading.get_untracked() && is_page_visible()
    }
}
