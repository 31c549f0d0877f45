//! Namespace `/chat`: rooms, messages, presence and typing, as in `PROTOCOL.md`.
//!
//! * [`rooms`]: listing, creating, joining, leaving, membership, invites and DMs;
//! * [`messages`]: messages, history, typing and the notifications a message triggers.
//!
//! This module wires a connecting socket and holds what both share: looking rooms up with
//! the caller's rights, and announcing presence changes.

mod messages;
mod rooms;

use protocol::events::chat::NS;
use protocol::validate::MEMBERS_PAGE;
use protocol::{
    Members, Presence as PresenceBody, Room, Typing, User, UserJoined, UserLeft, Welcome,
};
use socketioxide::extract::{MaybeExtension, State};
use store::{RoomKind, RoomRecord};

use super::pipeline::{Ctx, on, on_unknown};
use super::{SocketIo, SocketRef, broadcast, emit, room_channel, user_channel};
use crate::auth::now_ms;
use crate::error::{AppError, AppResult};
use crate::hub::Hub;
use crate::live::{Change, Departure};

/// Rooms with at most this many people present get the full `members` list on every change;
/// larger ones only the `user_joined` / `user_left` deltas (the list is a `members` request
/// away), so one arrival does not cost a message the size of the room to everyone in it.
pub const MEMBERS_BROADCAST_MAX: usize = 50;

/// Last CONNECT middleware (after authentication): wires the socket's events and registers
/// its presence.
///
/// socketioxide sends the CONNECT ack *before* it spawns the connect handler, so handlers
/// registered there can miss an event the client sends the moment it is connected (the event
/// is dropped and its ack never comes). Middlewares are awaited before the ack, so everything
/// the events need is in place first.
///
/// # Errors
/// [`protocol::ConnectRefusal::Unauthorized`] if no user was authenticated (cannot happen after
/// [`super::auth::authenticate`]).
pub async fn prepare(s: SocketRef, State(hub): State<Hub>) -> Result<(), protocol::ConnectRefusal> {
    let user = super::enter_user_room(&s)?;
    hub.live
        .connect(&s.id.to_string(), &user)
        .await
        .map_err(|error| {
            tracing::error!(%error, "registering a socket");
            protocol::ConnectRefusal::Internal
        })?;
    on(&s, rooms::list);
    on(&s, rooms::create);
    on(&s, rooms::join);
    on(&s, rooms::leave);
    on(&s, rooms::members);
    on(&s, rooms::invite);
    on(&s, rooms::dm);
    on(&s, rooms::leave_room);
    on(&s, messages::send);
    on(&s, messages::typing);
    on(&s, messages::history);
    on_unknown(&s);
    s.on_disconnect(on_disconnect);
    Ok(())
}

/// A connected `/chat` socket: greet it.
pub async fn on_connect(s: SocketRef) {
    let Some(user) = s.extensions.get::<User>() else {
        return;
    };
    tracing::debug!(user = %user.username, socket = %s.id, "chat socket connected");
    emit(
        &s,
        &Welcome {
            user,
            server_time: now_ms(),
        },
    );
}

async fn on_disconnect(
    s: SocketRef,
    io: SocketIo,
    State(hub): State<Hub>,
    MaybeExtension(user): MaybeExtension<User>,
) {
    let Some(user) = user else {
        return;
    };
    let _busy = super::pipeline::Busy::enter(&hub);
    match hub.live.disconnect(&s.id.to_string()).await {
        Ok(departures) => announce_departures(&io, &hub, departures, Some(&user)).await,
        Err(error) => tracing::error!(%error, "forgetting a socket's presence"),
    }
    tracing::debug!(user = %user.username, socket = %s.id, "chat socket disconnected");
}

/// Tells the rooms about users who left them when sockets went away (a disconnect, or a dead
/// node's sockets cleaned up by another node).
pub async fn announce_departures(
    io: &SocketIo,
    hub: &Hub,
    departures: Vec<Departure>,
    known: Option<&User>,
) {
    for departure in departures {
        if !departure.change.user_changed {
            continue;
        }
        let user = match known.filter(|u| u.id == departure.user) {
            Some(user) => user.clone(),
            None => match hub.store.user_by_id(departure.user).await {
                Ok(Some(user)) => user,
                _ => continue,
            },
        };
        let Ok(Some(room)) = hub.store.room_by_id(departure.room).await else {
            continue;
        };
        stop_typing(io, hub, &room, &user).await;
        announce(io, hub, &room, &user, departure.change, false).await;
    }
}

/// A room the user may see and join: open, and public or one they belong to. Anything else is
/// `not_found`, so private rooms cannot be discovered by guessing names.
async fn visible_room(hub: &Hub, user: &User, raw_name: &str) -> AppResult<RoomRecord> {
    let name = protocol::names::room_name(raw_name)?;
    let not_found = || AppError::not_found(format!("there is no room called `{name}`"));
    let room = hub
        .store
        .room_by_name(&name)
        .await?
        .filter(|room| !room.closed)
        .ok_or_else(not_found)?;
    if room.private && !hub.store.is_member(room.id, user.id).await? {
        return Err(not_found());
    }
    Ok(room)
}

/// Whether a socket may still speak in a room it joined: the room is open and, if private,
/// the user is still a member (both can change on another node after the join).
async fn still_welcome(hub: &Hub, room: &RoomRecord, user: &User) -> AppResult<bool> {
    if room.closed {
        return Ok(false);
    }
    Ok(!room.private || hub.store.is_member(room.id, user.id).await?)
}

/// A room this socket has joined; `not_member` otherwise (whether or not the room exists).
async fn joined_room(ctx: &Ctx, raw_name: &str) -> AppResult<RoomRecord> {
    let name = protocol::names::room_name(raw_name)?;
    let not_member = || {
        AppError::new(
            protocol::ErrorCode::NotMember,
            format!("join `{name}` first"),
        )
    };
    let room = ctx
        .hub
        .store
        .room_by_name(&name)
        .await?
        .ok_or_else(not_member)?;
    if ctx.hub.live.is_in(&ctx.sid(), room.id).await?
        && still_welcome(&ctx.hub, &room, &ctx.user).await?
    {
        Ok(room)
    } else {
        Err(not_member())
    }
}

/// A room as `viewer` sees it (a DM names the other person).
async fn summary(hub: &Hub, room: &RoomRecord, viewer: &User) -> AppResult<Room> {
    let dm_with = if room.kind == RoomKind::Dm {
        let peer = hub
            .store
            .member_ids(room.id)
            .await?
            .into_iter()
            .find(|id| *id != viewer.id);
        match peer {
            Some(id) => hub.store.user_by_id(id).await?.map(|u| u.username),
            None => None,
        }
    } else {
        None
    };
    Ok(Room {
        name: room.name.clone(),
        topic: room.topic.clone(),
        members: hub.live.count(room.id).await?,
        private: room.private,
        dm_with,
    })
}

/// Tells a room about a presence change: `user_joined` / `user_left` to the others, and the
/// new `members` list to everyone while the room is small.
async fn announce(
    io: &SocketIo,
    hub: &Hub,
    room: &RoomRecord,
    user: &User,
    change: Change,
    joined: bool,
) {
    if !change.user_changed {
        return;
    }
    let Some(chat) = hub.ns(io, NS) else { return };
    let channel = room_channel(room.id);
    let presence = PresenceBody {
        room: room.name.clone(),
        user: user.clone(),
    };
    // The user's own sockets learn from their ack (join) or already know (leave).
    let others = chat
        .clone()
        .to(channel.clone())
        .except(user_channel(user.id));
    if joined {
        broadcast(others, &UserJoined(presence)).await;
    } else {
        broadcast(others, &UserLeft(presence)).await;
    }
    if change.count <= MEMBERS_BROADCAST_MAX {
        match hub.live.members_page(room.id, 0, MEMBERS_PAGE).await {
            Ok((users, _)) => {
                let members = Members {
                    room: room.name.clone(),
                    users,
                };
                broadcast(chat.to(channel), &members).await;
            }
            Err(error) => tracing::warn!(%error, "listing a room's members"),
        }
    }
}

/// Ends a user's typing state in a room and tells the others, if it was active.
async fn stop_typing(io: &SocketIo, hub: &Hub, room: &RoomRecord, user: &User) {
    match hub.live.typing_stop(room.id, user.id).await {
        Ok(true) => emit_typing(io, hub, room, user, false).await,
        Ok(false) => {}
        Err(error) => tracing::warn!(%error, "ending a typing state"),
    }
}

async fn emit_typing(io: &SocketIo, hub: &Hub, room: &RoomRecord, user: &User, active: bool) {
    let Some(chat) = hub.ns(io, NS) else { return };
    let typing = Typing {
        room: room.name.clone(),
        user: user.clone(),
        active,
    };
    broadcast(
        chat.to(room_channel(room.id)).except(user_channel(user.id)),
        &typing,
    )
    .await;
}
