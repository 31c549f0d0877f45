//! Namespace `/admin` (admins only): live stats every second, role changes, closing rooms.
//! The admin role is checked again from the database on every event, so a demotion takes
//! effect at once even on sockets opened before it.

use std::sync::LazyLock;

use protocol::events::admin::NS as ADMIN;
use protocol::{
    AuditReq, AuditRes, BanReq, CloseRoomReq, Empty, Role, SetRoleReq, SetRoleRes, Stats, UnbanReq,
    validate,
};
use socketioxide::extract::State;

use super::pipeline::{Ctx, Routes, attach_routes, fit, list_budget};
use super::{SocketRef, user_channel};
use crate::chat::existing_user;
use crate::error::{AppError, AppResult};
use crate::hub::Hub;

/// The events of `/admin` and their handlers.
pub(super) static ROUTES: LazyLock<Routes> = LazyLock::new(|| {
    Routes::new(ADMIN)
        .on(set_role)
        .on(close_room)
        .on(ban)
        .on(unban)
        .on(audit)
});

/// CONNECT middleware (after [`super::auth::require_admin`]): wires the admin actions.
///
/// # Errors
/// [`protocol::ConnectRefusal::Unauthorized`] without an authenticated user.
pub async fn prepare(s: SocketRef) -> Result<(), protocol::ConnectRefusal> {
    super::enter_user_room(&s)?;
    attach_routes(&s, &ROUTES);
    Ok(())
}

/// After the CONNECT ack: a first snapshot right away, so the page is never empty.
pub async fn on_connect(s: SocketRef, State(hub): State<Hub>) {
    match crate::tasks::stats(&hub).await {
        Ok(stats) => super::emit::<Stats>(&s, &stats),
        Err(error) => tracing::error!(%error, "computing stats"),
    }
}

/// The caller's role as stored now; a caller who is no longer an admin is refused and their
/// `/admin` sockets are closed.
async fn still_admin(ctx: &Ctx) -> AppResult<()> {
    let current = ctx.hub.store.user_by_id(ctx.user.id).await?;
    if current.is_some_and(|user| user.role == Role::Admin) {
        return Ok(());
    }
    if let Some(admin) = ctx.hub.ns(&ctx.io, ADMIN) {
        // This socket after its answer; the user's other admin sockets, on any node, now.
        match admin.to(user_channel(ctx.user.id)).fetch_sockets().await {
            Ok(sockets) => {
                for socket in sockets.into_iter().filter(|s| s.data().id != ctx.socket.id) {
                    let _ = socket.disconnect().await;
                }
            }
            Err(error) => tracing::warn!(%error, "listing a demoted admin's sockets"),
        }
    }
    ctx.disconnect_after_reply();
    Err(AppError::forbidden("you are no longer an admin"))
}

async fn set_role(ctx: Ctx, req: SetRoleReq) -> AppResult<SetRoleRes> {
    still_admin(&ctx).await?;
    let target = existing_user(&ctx.hub, &req.username).await?;
    if target.id == ctx.user.id && req.role != Role::Admin {
        return Err(AppError::forbidden(
            "you cannot demote yourself; ask another admin",
        ));
    }
    if target.role == Role::Guest || req.role == Role::Guest {
        return Err(AppError::bad_request(
            "guests have no account to promote or demote",
        ));
    }
    let user = ctx
        .hub
        .store
        .set_role(target.id, req.role)
        .await
        .map_err(|error| match error {
            store::StoreError::LastAdmin => AppError::forbidden(format!(
                "{} is the last admin; promote someone else first",
                target.username
            )),
            other => other.into(),
        })?
        .ok_or_else(|| AppError::not_found("that user no longer exists"))?;
    if user.role != Role::Admin
        && let Some(admin) = ctx.hub.ns(&ctx.io, ADMIN)
    {
        // A demoted admin loses the live view at once.
        let _ = admin.to(user_channel(user.id)).disconnect().await;
    }
    tracing::info!(user = %user.username, role = user.role.as_str(), by = %ctx.user.username, "role changed");
    ctx.chat()
        .audit(store::NewAudit {
            actor_id: ctx.user.id,
            actor: &ctx.user.username,
            action: protocol::events::audit_actions::SET_ROLE,
            target: Some(&user.username),
            room: None,
            detail: Some(user.role.as_str().to_owned()),
        })
        .await;
    Ok(SetRoleRes { user })
}

async fn close_room(ctx: Ctx, req: CloseRoomReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    ctx.chat().close_room(&ctx.user, &req.room).await?;
    Ok(Empty {})
}

/// `ban`: the account is disconnected everywhere and cannot sign in.
async fn ban(ctx: Ctx, req: BanReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    ctx.chat().ban(&ctx.user, &req.username, true).await?;
    Ok(Empty {})
}

/// `unban`.
async fn unban(ctx: Ctx, UnbanReq(req): UnbanReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    ctx.chat().ban(&ctx.user, &req.username, false).await?;
    Ok(Empty {})
}

/// `audit`: the newest moderation actions.
async fn audit(ctx: Ctx, req: AuditReq) -> AppResult<AuditRes> {
    still_admin(&ctx).await?;
    let limit = validate::history_limit(req.limit)?;
    let mut entries = ctx.hub.store.audit_log(limit).await?;
    // Newest first: as many as fit in one packet (long names can fill it).
    fit(&mut entries, list_budget(&ctx.hub, 0), false);
    Ok(AuditRes { entries })
}
