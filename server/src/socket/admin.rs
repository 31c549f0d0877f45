//! Namespace `/admin` (admins only): live stats every second, role changes, closing rooms.
//! The admin role is checked again from the database on every event, so a demotion takes
//! effect at once even on sockets opened before it.

use std::sync::LazyLock;

use protocol::events::admin::NS as ADMIN;
use protocol::{
    AuditReq, AuditRes, BanReq, CloseRoomReq, DeleteUserReq, Empty, Role, SetRoleReq, SetRoleRes,
    Stats, UnbanReq, validate,
};
use socketioxide::extract::State;

use super::pipeline::{Ctx, Routes, attach_routes, fit, list_budget};
use crate::error::{AppError, AppResult};
use crate::fanout::{SocketRef, emit, user_channel};
use crate::services::Services;

/// The events of `/admin` and their handlers.
pub(super) static ROUTES: LazyLock<Routes> = LazyLock::new(|| {
    Routes::new(ADMIN)
        .on(set_role)
        .on(close_room)
        .on(ban)
        .on(unban)
        .on(delete_user)
        .on(clear_profile)
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
pub async fn on_connect(s: SocketRef, State(services): State<Services>) {
    match crate::tasks::stats(&services.hub).await {
        Ok(stats) => emit::<Stats>(&s, &stats),
        Err(error) => tracing::error!(%error, "computing stats"),
    }
}

/// The caller's role as stored now; a caller who is no longer an admin is refused and their
/// `/admin` sockets are closed.
async fn still_admin(ctx: &Ctx) -> AppResult<()> {
    if ctx.services.accounts.current_role(&ctx.user).await? == Role::Admin {
        return Ok(());
    }
    if let Some(admin) = ctx.services.fanout.admin() {
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

/// `set_role`: an admin makes someone a member or an admin.
async fn set_role(ctx: Ctx, req: SetRoleReq) -> AppResult<SetRoleRes> {
    still_admin(&ctx).await?;
    let user = ctx
        .services
        .accounts
        .set_role(&ctx.user, &req.username, req.role)
        .await?;
    Ok(SetRoleRes { user })
}

/// `close_room`.
async fn close_room(ctx: Ctx, req: CloseRoomReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    ctx.chat().close_room(&ctx.user, &req.room).await?;
    Ok(Empty {})
}

/// `ban`: the account is disconnected everywhere and cannot sign in; optionally (v1.10) new
/// accounts from its addresses are refused too, and what it made lately is removed.
async fn ban(ctx: Ctx, req: BanReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    let remove_hours = validate::ban_remove_hours(req.remove_hours)?;
    let target = ctx
        .services
        .accounts
        .ban(&ctx.user, &req.username, req.addresses)
        .await?;
    if let Some(hours) = remove_hours {
        ctx.chat().remove_recent(&ctx.user, &target, hours).await?;
    }
    Ok(Empty {})
}

/// `delete_user`: an admin deletes someone's account (v1.9).
async fn delete_user(ctx: Ctx, req: DeleteUserReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    ctx.services
        .accounts
        .delete_account_of(&ctx.user, &req.username, req.messages)
        .await?;
    Ok(Empty {})
}

/// `clear_profile`: an admin takes away someone's picture and display name (v1.32).
async fn clear_profile(ctx: Ctx, req: protocol::ClearProfileReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    let accounts = &ctx.services.accounts;
    let target = match (&req.username, req.id) {
        (Some(name), None) => accounts.existing_user(name).await?,
        (None, Some(id)) => accounts.user_by_id(id).await?,
        _ => {
            return Err(crate::error::AppError::bad_request(
                "name the account by `username` or by `id`",
            ));
        }
    };
    ctx.chat().clear_profile(&ctx.user, &target).await?;
    Ok(Empty {})
}

/// `unban`.
async fn unban(ctx: Ctx, UnbanReq(req): UnbanReq) -> AppResult<Empty> {
    still_admin(&ctx).await?;
    ctx.services
        .accounts
        .unban(&ctx.user, &req.username)
        .await?;
    Ok(Empty {})
}

/// `audit`: the newest moderation actions.
async fn audit(ctx: Ctx, req: AuditReq) -> AppResult<AuditRes> {
    still_admin(&ctx).await?;
    let limit = validate::history_limit(req.limit)?;
    let mut entries = ctx.hub().store.audit_log(limit).await?;
    // Newest first: as many as fit in one packet (long names can fill it).
    fit(&mut entries, list_budget(ctx.hub(), 0), false);
    Ok(AuditRes { entries })
}
