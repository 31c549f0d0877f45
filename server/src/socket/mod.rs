//! Socket.IO namespaces: registration, and the helpers their handlers share.
//!
//! Every event handler is listed in its namespace's [`pipeline::Routes`], whose dispatch
//! authenticates, charges, bounds, decodes, traces and answers; the handlers themselves are plain
//! `async fn(Ctx, Request) -> AppResult<Response>` that call a service.

pub(crate) mod admin;
pub(crate) mod auth;
pub(crate) mod chat;
pub(crate) mod notifications;
pub(crate) mod outbound;
pub(crate) mod pipeline;
pub(crate) mod sessions;

use socketioxide::handler::ConnectHandler;

use crate::fanout::{SocketIo, SocketRef, user_channel};

/// Start of every namespace's `prepare` middleware: who authenticated, with the socket put in
/// that user's channel (so a push reaches all of their tabs).
fn enter_user_room(
    s: &SocketRef,
) -> Result<std::sync::Arc<auth::SocketIdentity>, protocol::ConnectRefusal> {
    let identity = auth::SocketIdentity::of(s).ok_or(protocol::ConnectRefusal::Unauthorized)?;
    s.join(user_channel(identity.user.id));
    Ok(identity)
}

/// Registers every namespace on `io` (with a shared adapter this subscribes to its Redis
/// channels). Middlewares run last-added first: authenticate, then prepare the socket, then
/// (after the CONNECT ack) the connect handler.
///
/// # Errors
/// When the adapter cannot subscribe (Redis unreachable).
pub(crate) async fn register(io: &SocketIo) -> anyhow::Result<()> {
    // Build the event tables now, so a wiring mistake stops the server at start-up.
    for routes in [&chat::ROUTES, &notifications::ROUTES, &admin::ROUTES] {
        std::sync::LazyLock::force(routes);
    }
    io.ns(
        protocol::events::chat::NS,
        chat::on_connect
            .with(chat::prepare)
            .with(auth::authenticate),
    )
    .await
    .map_err(|e| anyhow::anyhow!("registering {}: {e}", protocol::events::chat::NS))?;
    io.ns(
        protocol::events::notifications::NS,
        notifications::on_connect
            .with(notifications::prepare)
            .with(auth::authenticate),
    )
    .await
    .map_err(|e| anyhow::anyhow!("registering {}: {e}", protocol::events::notifications::NS))?;
    io.ns(
        protocol::events::admin::NS,
        admin::on_connect
            .with(admin::prepare)
            .with(auth::require_admin)
            .with(auth::authenticate),
    )
    .await
    .map_err(|e| anyhow::anyhow!("registering {}: {e}", protocol::events::admin::NS))?;
    Ok(())
}
