//! Messages: sending (stored once per `client_id`, broadcast to the room), history pages,
//! typing notices, and the notifications a new message triggers (mentions, DMs).

use protocol::events::kinds;
use protocol::validate;
use protocol::{Empty, HistoryReq, HistoryRes, Message, MessageReq, MessageRes, TypingReq, User};
use store::{NewNotification, RoomKind, RoomRecord};

use super::{emit_typing, joined_room, stop_typing, visible_room};
use crate::auth::now_ms;
use crate::error::{AppError, AppResult};
use crate::hub::Hub;
use crate::live::limits::Action;
use crate::live::typing::TYPING_TTL;
use crate::notify;
use crate::socket::pipeline::{Ctx, fit, list_budget};
use crate::socket::{SocketIo, broadcast, room_channel};

/// Longest client-chosen idempotency key.
const CLIENT_ID_MAX: usize = 64;

/// `message`: stores the message (once per `client_id`) and sends it to the room.
pub async fn send(ctx: Ctx, req: MessageReq) -> AppResult<MessageRes> {
    let text = validate::message_text(&req.text)?;
    if req.client_id.as_ref().is_some_and(|id| {
        id.is_empty() || id.len() > CLIENT_ID_MAX || id.chars().any(char::is_control)
    }) {
        return Err(AppError::bad_request(format!(
            "client_id has 1 to {CLIENT_ID_MAX} visible characters"
        )));
    }
    let room = joined_room(&ctx, &req.room).await?;
    ctx.charge(Action::Message).await?;
    let (message, is_new) = ctx
        .hub
        .store
        .insert_message(&room, &ctx.user, &text, now_ms(), req.client_id.as_deref())
        .await?;
    if is_new {
        stop_typing(&ctx.io, &ctx.hub, &room, &ctx.user).await;
        if let Some(chat) = ctx.hub.ns(&ctx.io, protocol::events::chat::NS) {
            broadcast(chat.to(room_channel(room.id)), &message).await;
        }
        // Mentions and DM pings must not delay the sender's ack.
        tokio::spawn(notify_recipients(
            ctx.io.clone(),
            ctx.hub.clone(),
            room,
            ctx.user.clone(),
            message.clone(),
        ));
    }
    Ok(MessageRes { message })
}

/// `typing`: starts or ends the caller's typing state in a joined room; it ends by itself
/// after [`TYPING_TTL`] without renewal.
pub async fn typing(ctx: Ctx, req: TypingReq) -> AppResult<Empty> {
    let room = joined_room(&ctx, &req.room).await?;
    if !req.active {
        stop_typing(&ctx.io, &ctx.hub, &room, &ctx.user).await;
        return Ok(Empty {});
    }
    let (generation, started) = ctx.hub.live.typing_start(room.id, ctx.user.id).await?;
    if started {
        emit_typing(&ctx.io, &ctx.hub, &room, &ctx.user, true).await;
    }
    let Ctx { io, hub, user, .. } = ctx;
    tokio::spawn(async move {
        tokio::time::sleep(TYPING_TTL).await;
        if let Ok(true) = hub.live.typing_expire(room.id, user.id, generation).await {
            emit_typing(&io, &hub, &room, &user, false).await;
        }
    });
    Ok(Empty {})
}

/// `history`: a page of a visible room's messages, oldest first, cut short (with `more`) when
/// it would not fit in one packet.
pub async fn history(ctx: Ctx, req: HistoryReq) -> AppResult<HistoryRes> {
    let limit = validate::history_limit(req.limit)?;
    let room = visible_room(&ctx.hub, &ctx.user, &req.room).await?;
    let mut messages = ctx
        .hub
        .store
        .history(&room, req.before, req.after, limit)
        .await?;
    // Catching up (`after`) keeps the oldest, paging back keeps the newest: either way the
    // client asks again from the edge it received.
    let newest = req.after.is_none();
    let more = fit(&mut messages, list_budget(&ctx.hub, 0), newest);
    Ok(HistoryRes { messages, more })
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
    let url = protocol::links::message(&room.name, message.id);
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
            kind: kinds::MENTION.into(),
            title: format!("{} mentioned you in {place}", sender.username),
            body: excerpt.clone(),
            url: Some(url.clone()),
        };
        if let Err(error) = notify::to_user(&io, &hub, target.id, &new).await {
            tracing::warn!(%error, "storing a mention");
        }
    }
    if room.kind == RoomKind::Dm {
        let peers = hub.store.member_ids(room.id).await.unwrap_or_default();
        for peer in peers {
            let present = hub.live.is_present(room.id, peer).await.unwrap_or(false);
            if notified.contains(&peer) || present {
                continue;
            }
            let new = NewNotification {
                kind: kinds::DM.into(),
                title: format!("{} sent you a message", sender.username),
                body: excerpt.clone(),
                url: Some(url.clone()),
            };
            if let Err(error) = notify::to_user(&io, &hub, peer, &new).await {
                tracing::warn!(%error, "storing a DM notification");
            }
        }
    }
}
