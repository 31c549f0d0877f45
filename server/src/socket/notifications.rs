//! Namespace `/notifications`: each socket sits in its user's room, so a push reaches every
//! tab; unread notifications are delivered on connect.

use std::sync::LazyLock;

use protocol::{
    Empty, MarkAllReadReq, MarkReadReq, Notification, SubscribeReq, UnsubscribeReq, validate,
};
use socketioxide::extract::State;

use super::pipeline::{Ctx, Routes, attach_routes};
use crate::clock::now_ms;
use crate::error::{AppError, AppResult};
use crate::fanout::{SocketRef, emit};
use crate::services::Services;

/// The events of `/notifications` and their handlers.
pub(super) static ROUTES: LazyLock<Routes> = LazyLock::new(|| {
    Routes::new(protocol::events::notifications::NS)
        .on(subscribe)
        .on(unsubscribe)
        .on(mark_read)
        .on(mark_all_read)
});

/// CONNECT middleware: joins the user's room and wires the events before the CONNECT ack.
///
/// # Errors
/// [`protocol::ConnectRefusal::Unauthorized`] without an authenticated user.
pub async fn prepare(s: SocketRef) -> Result<(), protocol::ConnectRefusal> {
    super::enter_user_room(&s)?;
    attach_routes(&s, &ROUTES);
    Ok(())
}

/// After the CONNECT ack: delivers the user's unread notifications to this socket.
pub async fn on_connect(s: SocketRef, State(services): State<Services>) {
    let Some(identity) = super::auth::SocketIdentity::of(&s) else {
        return;
    };
    let user = &identity.user;
    match services.hub.store.unread_notifications(user.id).await {
        Ok(unread) => {
            for notification in unread {
                emit::<Notification>(&s, &notification);
            }
        }
        Err(error) => tracing::error!(%error, "loading unread notifications"),
    }
}

async fn subscribe(ctx: Ctx, req: SubscribeReq) -> AppResult<Empty> {
    let channel = validate::channel(&req.channel)?;
    ctx.hub()
        .store
        .subscribe(ctx.user.id, &channel, now_ms())
        .await?;
    Ok(Empty {})
}

async fn unsubscribe(ctx: Ctx, req: UnsubscribeReq) -> AppResult<Empty> {
    let channel = validate::channel(&req.channel)?;
    ctx.hub().store.unsubscribe(ctx.user.id, &channel).await?;
    Ok(Empty {})
}

async fn mark_read(ctx: Ctx, req: MarkReadReq) -> AppResult<Empty> {
    if req.ids.len() > validate::MARK_READ_MAX {
        return Err(AppError::bad_request(format!(
            "at most {} ids at once",
            validate::MARK_READ_MAX
        )));
    }
    ctx.hub()
        .store
        .mark_read(ctx.user.id, &req.ids, now_ms())
        .await?;
    Ok(Empty {})
}

async fn mark_all_read(ctx: Ctx, _: MarkAllReadReq) -> AppResult<Empty> {
    ctx.hub().store.mark_all_read(ctx.user.id, now_ms()).await?;
    Ok(Empty {})
}
