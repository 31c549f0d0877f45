//! Rooms: the directory, creating, joining and leaving, presence lists, private-room
//! membership (invites, leaving for good) and direct conversations.

use protocol::names::{self, is_dm_name};
use protocol::validate::{self, HISTORY_DEFAULT, MEMBERS_PAGE};
use protocol::{
    CreateRoomReq, CreateRoomRes, DmReq, Empty, ErrorCode, InviteReq, JoinReq, JoinRes, LeaveReq,
    LeaveRoomReq, MembersReq, MembersRes, Role, Room, RoomsReq, RoomsRes,
};
use store::{NewNotification, RoomKind, RoomRecord};

use super::{announce, joined_room, stop_typing, summary, visible_room};
use crate::auth::now_ms;
use crate::error::{AppError, AppResult};
use crate::live::limits::Action;
use crate::notify;
use crate::socket::pipeline::{Ctx, fit, list_budget};
use crate::socket::{existing_user, room_channel, user_channel};

/// `rooms`: the rooms the caller may join; their private rooms and DMs first, then public
/// rooms, busiest first, as many as fit in one packet.
pub async fn list(ctx: Ctx, _: RoomsReq) -> AppResult<RoomsRes> {
    let mut rooms: Vec<Room> = Vec::new();
    for room in ctx.hub.store.visible_rooms(ctx.user.id).await? {
        rooms.push(summary(&ctx.hub, &room, &ctx.user).await?);
    }
    rooms.sort_by(|a, b| {
        (
            !a.private,
            std::cmp::Reverse(a.members),
            a.name.to_lowercase(),
        )
            .cmp(&(
                !b.private,
                std::cmp::Reverse(b.members),
                b.name.to_lowercase(),
            ))
    });
    let more = fit(&mut rooms, list_budget(&ctx.hub, 0), false);
    rooms.sort_by_key(|room| room.name.to_lowercase());
    Ok(RoomsRes { rooms, more })
}

/// `create_room`: a new public or private room (the creator is a member of a private one).
/// Room names are public: a name taken by a private room is answered like any taken name.
pub async fn create(ctx: Ctx, req: CreateRoomReq) -> AppResult<CreateRoomRes> {
    let name = names::room_name(&req.name)?;
    if is_dm_name(&name) {
        return Err(AppError::bad_request(
            "names starting with `dm-` are kept for direct messages",
        ));
    }
    let topic = validate::topic(req.topic.as_deref())?;
    ctx.charge(Action::Join).await?;
    check_room_caps(&ctx).await?;
    let room = ctx
        .hub
        .store
        .create_room(
            &name,
            topic.as_deref(),
            req.private,
            RoomKind::Room,
            ctx.user.id,
            now_ms(),
        )
        .await
        .map_err(|error| match error {
            store::StoreError::Conflict => AppError::new(
                ErrorCode::Conflict,
                format!("a room called `{name}` already exists"),
            ),
            other => other.into(),
        })?;
    tracing::info!(room = %room.name, private = room.private, by = %ctx.user.username, "room created");
    Ok(CreateRoomRes {
        room: summary(&ctx.hub, &room, &ctx.user).await?,
    })
}

/// Refuses a new room past the caller's cap (lower for guests; none for admins) or the
/// server's.
async fn check_room_caps(ctx: &Ctx) -> AppResult<()> {
    let config = &ctx.hub.config;
    let cap = match ctx.user.role {
        Role::Guest => Some(config.max_rooms_per_guest),
        Role::Member => Some(config.max_rooms_per_user),
        Role::Admin => None,
    };
    if let Some(cap) = cap
        && ctx.hub.store.rooms_created_by(ctx.user.id).await? >= cap
    {
        return Err(AppError::forbidden(format!(
            "you may have at most {cap} open rooms; ask an admin to close one"
        )));
    }
    if ctx.hub.store.open_room_count().await? >= config.max_rooms {
        return Err(AppError::forbidden(
            "this server has as many rooms as it allows; ask an admin",
        ));
    }
    Ok(())
}

/// `join`: this socket follows the room; the answer carries the people present and the
/// latest messages.
pub async fn join(ctx: Ctx, req: JoinReq) -> AppResult<JoinRes> {
    let room = visible_room(&ctx.hub, &ctx.user, &req.room).await?;
    let sid = ctx.sid();
    if !ctx.hub.live.is_in(&sid, room.id).await? {
        ctx.charge(Action::Join).await?;
    }
    let mut history = ctx
        .hub
        .store
        .history(&room, None, None, HISTORY_DEFAULT)
        .await?;
    ctx.socket.join(room_channel(room.id));
    if let Some(change) = ctx.hub.live.join(&sid, room.id).await? {
        announce(&ctx.io, &ctx.hub, &room, &ctx.user, change, true).await;
    }
    let (members, total) = ctx.hub.live.members_page(room.id, 0, MEMBERS_PAGE).await?;
    let members_total = (total > members.len()).then_some(total as u64);
    let summary = summary(&ctx.hub, &room, &ctx.user).await?;
    let reserved = serde_json::to_vec(&(&members, &summary)).map_or(0, |json| json.len());
    let more = fit(&mut history, list_budget(&ctx.hub, reserved), true);
    Ok(JoinRes {
        room: summary,
        members,
        history,
        members_total,
        more,
    })
}

/// `leave`: this socket stops following the room.
pub async fn leave(ctx: Ctx, req: LeaveReq) -> AppResult<Empty> {
    let room = joined_room(&ctx, &req.room).await?;
    ctx.socket.leave(room_channel(room.id));
    forget_presence(&ctx, &ctx.sid(), &room).await?;
    Ok(Empty {})
}

/// Takes one socket (of any node) of the caller out of a room's presence, announcing it if it
/// was their last there.
async fn forget_presence(ctx: &Ctx, sid: &str, room: &RoomRecord) -> AppResult<()> {
    if let Some(change) = ctx.hub.live.leave(sid, room.id).await? {
        if change.user_changed {
            stop_typing(&ctx.io, &ctx.hub, room, &ctx.user).await;
        }
        announce(&ctx.io, &ctx.hub, room, &ctx.user, change, false).await;
    }
    Ok(())
}

/// `members`: a page of the people present in a joined room.
pub async fn members(ctx: Ctx, req: MembersReq) -> AppResult<MembersRes> {
    let room = joined_room(&ctx, &req.room).await?;
    let offset = usize::try_from(req.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let (mut users, total) = ctx
        .hub
        .live
        .members_page(room.id, offset, MEMBERS_PAGE)
        .await?;
    fit(&mut users, list_budget(&ctx.hub, 32), false);
    Ok(MembersRes {
        users,
        total: total as u64,
    })
}

/// `invite`: a member of a private room lets someone else in (and notifies them).
pub async fn invite(ctx: Ctx, req: InviteReq) -> AppResult<Empty> {
    let room = visible_room(&ctx.hub, &ctx.user, &req.room).await?;
    if !room.private {
        return Err(AppError::bad_request(
            "public rooms are open to everyone; no invite needed",
        ));
    }
    if room.kind == RoomKind::Dm {
        return Err(AppError::forbidden(
            "a direct conversation stays between its two people",
        ));
    }
    ctx.charge(Action::Join).await?;
    let invitee = existing_user(&ctx.hub, &req.username).await?;
    ctx.hub
        .store
        .add_member(room.id, invitee.id, now_ms())
        .await?;
    if invitee.id != ctx.user.id {
        let new = NewNotification {
            kind: protocol::events::kinds::INVITE.into(),
            title: format!("{} invited you to {}", ctx.user.username, room.name),
            body: room.topic.clone().unwrap_or_default(),
            url: Some(protocol::links::room(&room.name)),
        };
        notify::to_user(&ctx.io, &ctx.hub, invitee.id, &new).await?;
    }
    tracing::info!(room = %room.name, invitee = %invitee.username, by = %ctx.user.username, "invited");
    Ok(Empty {})
}

/// `dm`: the private room of the caller and one other person, created on first use.
pub async fn dm(ctx: Ctx, req: DmReq) -> AppResult<CreateRoomRes> {
    let peer = existing_user(&ctx.hub, &req.username).await?;
    if peer.id == ctx.user.id {
        return Err(AppError::bad_request(
            "a direct conversation needs someone else",
        ));
    }
    ctx.charge(Action::Join).await?;
    let room = ctx
        .hub
        .store
        .dm_room(ctx.user.id, peer.id, now_ms())
        .await?;
    Ok(CreateRoomRes {
        room: summary(&ctx.hub, &room, &ctx.user).await?,
    })
}

/// `leave_room`: give up membership of a private room (or decline its invite). Every socket
/// of the caller leaves it; to come back they need a new invite.
pub async fn leave_room(ctx: Ctx, req: LeaveRoomReq) -> AppResult<Empty> {
    let room = visible_room(&ctx.hub, &ctx.user, &req.room).await?;
    if !room.private {
        return Err(AppError::bad_request(
            "public rooms are open to everyone: there is no membership to give up",
        ));
    }
    ctx.hub.store.remove_member(room.id, ctx.user.id).await?;
    if let Some(chat) = ctx.hub.ns(&ctx.io, protocol::events::chat::NS) {
        // Every socket of the caller, on every node, leaves the room's channel...
        let channel = room_channel(room.id);
        let mine = chat.to(user_channel(ctx.user.id));
        if let Err(error) = mine.clone().leave(channel.clone()).await {
            tracing::warn!(%error, "taking a user's sockets out of a room");
        }
        // ...and its presence.
        match mine.fetch_sockets().await {
            Ok(sockets) => {
                for socket in sockets {
                    forget_presence(&ctx, &socket.data().id.to_string(), &room).await?;
                }
            }
            Err(error) => tracing::warn!(%error, "listing a user's sockets"),
        }
    }
    tracing::info!(room = %room.name, user = %ctx.user.username, "left a private room");
    Ok(Empty {})
}
