//! Namespace `/admin` (admins only): live stats every second, role changes, closing rooms.

use protocol::events::admin::{CLOSE_ROOM, SET_ROLE, STATS};
use protocol::events::chat::{NS as CHAT, ROOM_CLOSED};
use protocol::{Empty, Role, RoomClosed, RoomReq, SetRoleReq, SetRoleRes, validate};
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, State, TryData};

use super::auth::ConnectRefusal;
use super::reply::Reply;
use super::{existing_user, payload, room_channel, user_channel, user_of};
use crate::auth::now_ms;
use crate::error::AppError;
use crate::hub::Hub;

/// CONNECT middleware (after [`super::auth::require_admin`]): wires the admin actions.
///
/// # Errors
/// [`ConnectRefusal::Unauthorized`] without an authenticated user.
pub async fn prepare(s: SocketRef) -> Result<(), ConnectRefusal> {
    super::enter_user_room(&s)?;
    s.on(SET_ROLE, on_set_role);
    s.on(CLOSE_ROOM, on_close_room);
    s.on_fallback(super::on_unknown_event);
    Ok(())
}

/// After the CONNECT ack: a first snapshot right away, so the page is never empty.
pub async fn on_connect(s: SocketRef, State(hub): State<Hub>) {
    match crate::tasks::stats(&hub).await {
        Ok(stats) => {
            let _ = s.emit(STATS, &stats);
        }
        Err(error) => tracing::error!(%error, "computing stats"),
    }
}

async fn on_set_role(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<SetRoleReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let admin = user_of(&s)?;
        let req = payload(data)?;
        let target = existing_user(&hub, &req.username).await?;
        if target.id == admin.id && req.role != Role::Admin {
            return Err(AppError::forbidden("you cannot demote yourself; ask another admin"));
        }
        if target.role == Role::Guest || req.role == Role::Guest {
            return Err(AppError::bad_request("guests have no account to promote or demote"));
        }
        let user = hub
            .store
            .set_role(target.id, req.role)
            .await?
            .ok_or_else(|| AppError::not_found("that user no longer exists"))?;
        if user.role != Role::Admin
            && let Some(admin_ns) = io.of(protocol::events::admin::NS)
        {
            // A demoted admin loses the live view at once.
            let _ = admin_ns.to(user_channel(user.id)).disconnect().await;
        }
        tracing::info!(user = %user.username, role = user.role.as_str(), by = %admin.username, "role changed");
        Ok(SetRoleRes { user })
    }
    .await;
    reply.send(result);
}

async fn on_close_room(
    s: SocketRef,
    io: SocketIo,
    TryData(data): TryData<RoomReq>,
    State(hub): State<Hub>,
    reply: Reply,
) {
    let result = async {
        let admin = user_of(&s)?;
        let name = validate::room_name(&payload(data)?.room)?;
        let room = hub
            .store
            .room_by_name(&name)
            .await?
            .filter(|room| !room.closed)
            .ok_or_else(|| AppError::not_found(format!("there is no open room called `{name}`")))?;
        if room.name == "general" {
            return Err(AppError::forbidden(
                "general is the room everyone can always join",
            ));
        }
        hub.store.close_room(room.id, now_ms()).await?;
        if let Some(chat) = io.of(CHAT) {
            let channel = room_channel(room.id);
            let notice = RoomClosed {
                room: room.name.clone(),
            };
            for socket in chat.to(channel.clone()).sockets() {
                hub.presence.leave(&socket.id.to_string(), room.id);
                socket.leave(channel.clone());
                let _ = socket.emit(ROOM_CLOSED, &notice);
            }
        }
        tracing::info!(room = %room.name, by = %admin.username, "room closed");
        Ok(Empty {})
    }
    .await;
    reply.send(result);
}
