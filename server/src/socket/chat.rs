//! Namespace `/chat`: rooms, messages, presence and typing, as in `PROTOCOL.md`.
//!
//! Every handler takes its payload with `TryData` (a malformed payload is answered with
//! `bad_request`, never skipped), computes an [`AppResult`] and answers through [`Reply`].

use protocol::events::chat::{
    CREATE_ROOM, DM, HISTORY, INVITE, JOIN, LEAVE, MEMBERS, MESSAGE, ROOMS, TYPING, USER_JOINED,
    USER_LEFT, WELCOME,
};
use protocol::validate;
use protocol::{
    CreateRoomReq, CreateRoomRes, DmReq, Empty, ErrorCode, HistoryReq, HistoryRes, InviteReq,
    JoinRes, Members, Message, MessageReq, MessageRes, Presence as PresenceEvent, Room, RoomReq,
    RoomsRes, Typing, TypingReq, User, Welcome,
};
use serde::Serialize;
use socketioxide::SocketIo;
use socketioxide::extract::{MaybeExtension, SocketRef, State, TryData};
use store::{NewNotification, RoomKind, RoomRecord};

use super::auth::ConnectRefusal;
use super::reply::Reply;
use super::{existing_user, payload, room_channel, user_channel, user_of};
use crate::auth::now_ms;
use crate::error::{AppError, AppResult};
use crate::hub::Hub;
use crate::limits::Action;
use crate::notify;
use crate::presence::Change;
use crate::typing::TYPING_TTL;

/// Last CONNECT middleware (after authentication): wires the socket's events and registers
/// its presence.
///
/// socketioxide sends the CONNECT ack *before* it spawns the connect handler, so handlers
/// registered there can miss an event the client sends the moment it is connected (the event
/// is dropped and its ack never comes). Middlewares are awaited before the ack, so everything
/// the events need is in place first.
///
/// # Errors
/// [`ConnectRefusal::Unauthorized`] if no user was authenticated (cannot happen after
/// [`super::auth::authenticate`]).
pub async fn prepare(s: SocketRef, State(hub): State<Hub>) -> Result<(), ConnectRefusal> {
    let user = super::enter_user_room(&s)?;
    hub.presence.connect(&s.id.to_string(), &user);

    s.on(ROOMS, on_rooms);
    s.on(CREATE_ROOM, on_create_room);
    s.on(JOIN, on_join);
    s.on(LEAVE, on_leave);
    s.on(MESSAGE, on_message);
    s.on(TYPING, on_typing);
    s.on(HISTORY, on_history);
    s.on(INVITE, on_invite);
    s.on(DM, on_dm);
    s.on_fallback(super::on_unknown_event);
    s.on_disconnect(on_disconnect);
    Ok(())
}

/// A connected `/chat` socket: greet it.
pub async fn on_connect(s: SocketRef) {
    let Some(user) = s.extensions.get::<User>() else {
        return;
    };
    tracing::debug!(user = %user.username, socket = %s.id, "chat socket connected");
    let welcome = Welcome {
        user,
        server_time: now_ms(),
    };
    if let Err(error) = s.emit(WELCOME, &welcome) {
        tracing::debug!(%error, "could not greet a socket");
    }
}

/// Takes a token from the user's bucket for `action`, and for messages and joins also from
/// the bucket of the socket's IP address.
fn check_limit(hub: &Hub, s: &SocketRef, action: Action, user: &User) -> AppResult<()> {
    let by_ip = match action {
        Action::Message => Some(Action::MessageFromIp),
        Action::Join => Some(Action::JoinFromIp),
        _ => None,
    };
    let user_ok = hub.limits.check(action, &user.id.to_string());
    let ip_ok = by_ip.is_none_or(|ip_action| hub.limits.check(ip_action, &super::client_ip(s)));
    if user_ok && ip_ok {
        Ok(())
    } else {
        Err(AppError::rate_limited())
    }
}

/// A room the user may see and join: open, and public or one they belong to. Anything else is
/// `not_found`, so private rooms cannot be discovered by guessing names.
async fn visible_room(hub: &Hub, user: &User, name: &str) -> AppResult<RoomRecord> {
    let name = validate::room_name(name)?;
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

/// A room this socket has joined; `not_member` otherwise (whether or not the room exists).
async fn joined_room(hub: &Hub, s: &SocketRef, name: &str) -> AppResult<RoomRecord> {
    let name = validate::room_name(name)?;
    let not_member = || AppError::new(ErrorCode::NotMember, format!("join `{name}` first"));
    let room = hub
        .store
        .room_by_name(&name)
        .await?
        .ok_or_else(not_member)?;
    if hub.presence.is_in(&s.id.to_string(), room.id) {
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
        members: hub.presence.count(room.id),
        private: room.private,
        dm_with,
    })
}

async fn broadcast<T: Serialize>(
    ops: socketioxide::operators::BroadcastOperators,
    event: &str,
    data: &T,
) {
    if let Err(error) = ops.emit(event, data).await {
        tracing::debug!(%error, event, "broadcast did not reach every socket");
    }
}

/// Tells a room about a presence change: `user_joined`/`user_left` and the new `members`.
async fn announce(s: &SocketRef, room: &RoomRecord, user: &User, change: &Change, joined: bool) {
    if !change.user_changed {
        return;
    }
    let channel = room_channel(room.id);
    let event = if joined { USER_JOINED } else { USER_LEFT };
    let presence = PresenceEvent {
        room: room.name.clone(),
        user: user.clone(),
    };
    broadcast(s.to(channel.clone()), event, &presence).await;
    let members = Members {
        room: room.name.clone(),
        users: change.members.clone(),
    };
    broadcast(s.within(channel), MEMBERS, &members).await;
}

/// Ends a user's typing state in a room and tells the others, if it was active.
async fn stop_typing(io: &SocketIo, hub: &Hub, room: &RoomRecord, user: &User) {
    if hub.typing.stop(room.id, user.id) {
        emit_typing(io, room, user, false).await;
    }
}

async fn emit_typing(io: &SocketIo, room: &RoomRecord, user: &User, active: bool) {
    let Some(ns) = io.of(protocol::events::chat::NS) else {
        return;
    };
    let typing = Typing {
        room: room.name.clone(),
        user: user.clone(),
        active,
    };
    broadcast(
        ns.to(room_channel(room.id)).except(user_channel(user.id)),
        TYPING,
        &typing,
    )
    .await;
}

async fn on_rooms(s: SocketRef, State(hub): State<Hub>, reply: Reply) {
    let result = async {
        let user = user_of(&s)?;
        let mut rooms = Vec::new();
        for room in hub.store.visible_rooms(user.id).await? {
            rooms.push(summary(&hub, &room, &user).await?);
        }
        Ok(RoomsRes { rooms })
    }
    .await;
    reply.send(result);
}

async fn on_create_room(
    s: SocketRef,
    TryData(data): TryData<CreateRoomReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let name = validate::room_name(&req.name)?;
        if validate::name_key(&name).starts_with("dm-") {
            return Err(AppError::bad_request("names starting with `dm-` are kept for direct messages"));
        }
        let topic = validate::topic(req.topic.as_deref())?;
        check_limit(&hub, &s, Action::Join, &user)?;
        let room = hub
            .store
            .create_room(&name, topic.as_deref(), req.private, RoomKind::Room, user.id, now_ms())
            .await
            .map_err(|error| match error {
                store::StoreError::Conflict => {
                    AppError::new(ErrorCode::Conflict, format!("a room called `{name}` already exists"))
                }
                other => other.into(),
            })?;
        tracing::info!(room = %room.name, private = room.private, by = %user.username, "room created");
        Ok(CreateRoomRes {
            room: summary(&hub, &room, &user).await?,
        })
    }
    .await;
    reply.send(result);
}

async fn on_join(
    s: SocketRef,
    TryData(data): TryData<RoomReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let room = visible_room(&hub, &user, &req.room).await?;
        let sid = s.id.to_string();
        if !hub.presence.is_in(&sid, room.id) {
            check_limit(&hub, &s, Action::Join, &user)?;
        }
        let history = hub
            .store
            .history(&room, None, None, validate::HISTORY_DEFAULT)
            .await?;
        s.join(room_channel(room.id));
        if let Some(change) = hub.presence.join(&sid, room.id) {
            announce(&s, &room, &user, &change, true).await;
        }
        Ok(JoinRes {
            room: summary(&hub, &room, &user).await?,
            members: hub.presence.members(room.id),
            history,
        })
    }
    .await;
    reply.send(result);
}

async fn on_leave(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<RoomReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let room = joined_room(&hub, &s, &req.room).await?;
        s.leave(room_channel(room.id));
        if let Some(change) = hub.presence.leave(&s.id.to_string(), room.id) {
            if change.user_changed {
                stop_typing(&io, &hub, &room, &user).await;
            }
            announce(&s, &room, &user, &change, false).await;
        }
        Ok(Empty {})
    }
    .await;
    reply.send(result);
}

async fn on_message(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<MessageReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let text = validate::message_text(&req.text)?;
        if req
            .client_id
            .as_ref()
            .is_some_and(|id| id.is_empty() || id.len() > 64)
        {
            return Err(AppError::bad_request("client_id has 1 to 64 characters"));
        }
        let room = joined_room(&hub, &s, &req.room).await?;
        check_limit(&hub, &s, Action::Message, &user)?;
        let (message, is_new) = hub
            .store
            .insert_message(&room, &user, &text, now_ms(), req.client_id.as_deref())
            .await?;
        if is_new {
            stop_typing(&io, &hub, &room, &user).await;
            broadcast(s.within(room_channel(room.id)), MESSAGE, &message).await;
            // Mentions and DM pings must not delay the sender's ack.
            tokio::spawn(notify_recipients(
                io.clone(),
                hub.clone(),
                room.clone(),
                user.clone(),
                message.clone(),
            ));
        }
        Ok(MessageRes { message })
    }
    .await;
    reply.send(result);
}

async fn on_typing(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<TypingReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let room = joined_room(&hub, &s, &req.room).await?;
        if !req.active {
            stop_typing(&io, &hub, &room, &user).await;
            return Ok(Empty {});
        }
        if !hub.limits.check(Action::Typing, &user.id.to_string()) {
            // Typing notices are advisory: drop the excess quietly.
            return Ok(Empty {});
        }
        let (generation, started) = hub.typing.start(room.id, user.id);
        if started {
            emit_typing(&io, &room, &user, true).await;
        }
        let hub = hub.clone();
        tokio::spawn(async move {
            tokio::time::sleep(TYPING_TTL).await;
            if hub.typing.expire(room.id, user.id, generation) {
                emit_typing(&io, &room, &user, false).await;
            }
        });
        Ok(Empty {})
    }
    .await;
    reply.send(result);
}

async fn on_history(
    s: SocketRef,
    TryData(data): TryData<HistoryReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let limit = validate::history_limit(req.limit)?;
        let room = visible_room(&hub, &user, &req.room).await?;
        let messages = hub
            .store
            .history(&room, req.before, req.after, limit)
            .await?;
        Ok(HistoryRes { messages })
    }
    .await;
    reply.send(result);
}

async fn on_invite(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<InviteReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let user = user_of(&s)?;
        let req = payload(data)?;
        let room = visible_room(&hub, &user, &req.room).await?;
        if !room.private {
            return Err(AppError::bad_request("public rooms are open to everyone; no invite needed"));
        }
        if room.kind == RoomKind::Dm {
            return Err(AppError::forbidden("a direct conversation stays between its two people"));
        }
        check_limit(&hub, &s, Action::Join, &user)?;
        let invitee = existing_user(&hub, &req.username).await?;
        hub.store.add_member(room.id, invitee.id, now_ms()).await?;
        if invitee.id != user.id {
            let new = NewNotification {
                kind: "invite".into(),
                title: format!("{} invited you to {}", user.username, room.name),
                body: room.topic.clone().unwrap_or_default(),
                url: Some(format!("/chat?room={}", notify::encode_query(&room.name))),
            };
            notify::to_user(&io, &hub.store, invitee.id, &new).await?;
        }
        tracing::info!(room = %room.name, invitee = %invitee.username, by = %user.username, "invited");
        Ok(Empty {})
    }
    .await;
    reply.send(result);
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
    for (room_id, change) in hub.presence.disconnect(&s.id.to_string()) {
        if !change.user_changed {
            continue;
        }
        let Ok(Some(room)) = hub.store.room_by_id(room_id).await else {
            continue;
        };
        stop_typing(&io, &hub, &room, &user).await;
        announce(&s, &room, &user, &change, false).await;
    }
    tracing::debug!(user = %user.username, socket = %s.id, "chat socket disconnected");
}

async fn on_dm(s: SocketRef, TryData(data): TryData<DmReq>, State(hub): State<Hub>, reply: Reply) {
    let result = async {
        let user = user_of(&s)?;
        let peer = existing_user(&hub, &payload(data)?.username).await?;
        if peer.id == user.id {
            return Err(AppError::bad_request(
                "a direct conversation needs someone else",
            ));
        }
        check_limit(&hub, &s, Action::Join, &user)?;
        let room = hub.store.dm_room(user.id, peer.id, now_ms()).await?;
        Ok(CreateRoomRes {
            room: summary(&hub, &room, &user).await?,
        })
    }
    .await;
    reply.send(result);
}

/// After a new message: notifies the users it `@mentions` (who can see the room), and the
/// other person of a DM who is not looking at it.
async fn notify_recipients(
    io: SocketIo,
    hub: Hub,
    room: RoomRecord,
    sender: User,
    message: Message,
) {
    let place = if room.kind == RoomKind::Dm {
        "a direct message".to_owned()
    } else {
        room.name.clone()
    };
    let url = format!(
        "/chat?room={}#m{}",
        notify::encode_query(&room.name),
        message.id
    );
    let excerpt: String = message.text.chars().take(300).collect();
    let mut notified = vec![sender.id];
    for name in validate::mentions(&message.text) {
        let Ok(Some(record)) = hub.store.user_by_name(&name).await else {
            continue;
        };
        let target = record.user;
        if notified.contains(&target.id) {
            continue;
        }
        let can_see = !room.private
            || hub
                .store
                .is_member(room.id, target.id)
                .await
                .unwrap_or(false);
        if !can_see {
            continue;
        }
        notified.push(target.id);
        let new = NewNotification {
            kind: "mention".into(),
            title: format!("{} mentioned you in {place}", sender.username),
            body: excerpt.clone(),
            url: Some(url.clone()),
        };
        if let Err(error) = notify::to_user(&io, &hub.store, target.id, &new).await {
            tracing::warn!(%error, "storing a mention");
        }
    }
    if room.kind == RoomKind::Dm {
        let peers = hub.store.member_ids(room.id).await.unwrap_or_default();
        let present = hub.presence.members(room.id);
        for peer in peers {
            if notified.contains(&peer) || present.iter().any(|u| u.id == peer) {
                continue;
            }
            let new = NewNotification {
                kind: "dm".into(),
                title: format!("{} sent you a message", sender.username),
                body: excerpt.clone(),
                url: Some(url.clone()),
            };
            if let Err(error) = notify::to_user(&io, &hub.store, peer, &new).await {
                tracing::warn!(%error, "storing a DM notification");
            }
        }
    }
}
