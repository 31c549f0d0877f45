//! Socket.IO namespaces: registration, and the helpers their handlers share.
//!
//! Every event handler is listed in its namespace's [`pipeline::Routes`], whose dispatch
//! authenticates, charges, bounds, decodes, traces and answers; the handlers themselves are plain
//! `async fn(Ctx, Request) -> AppResult<Response>`.

pub mod admin;
pub mod auth;
pub mod chat;
pub mod notifications;
pub mod pipeline;

use protocol::{ServerEvent, User};
use socketioxide::handler::ConnectHandler;

/// The adapter of every namespace: socketioxide's Redis adapter, over Redis in a cluster and
/// over nothing on a single node (see [`crate::cluster::driver`]).
pub type Adapter = socketioxide_redis::CustomRedisAdapter<
    socketioxide::adapter::Emitter,
    crate::cluster::driver::Driver,
>;
/// A socket of one of our namespaces.
pub type SocketRef = socketioxide::extract::SocketRef<Adapter>;
/// The Socket.IO server.
pub type SocketIo = socketioxide::SocketIo<Adapter>;
/// Operators selecting sockets (of the whole cluster unless marked local).
pub type Ops = socketioxide::operators::BroadcastOperators<Adapter>;

/// Start of every namespace's `prepare` middleware: the authenticated user, with the socket put
/// in that user's room (so a push reaches all of their tabs).
fn enter_user_room(s: &SocketRef) -> Result<User, protocol::ConnectRefusal> {
    let user = s
        .extensions
        .get::<User>()
        .ok_or(protocol::ConnectRefusal::Unauthorized)?;
    s.join(user_channel(user.id));
    Ok(user)
}

/// Socket.IO room of a chat room (by id, so renames and case never split it).
#[must_use]
pub fn room_channel(room_id: i64) -> String {
    format!("room:{room_id}")
}

/// Socket.IO room holding every socket of one user.
#[must_use]
pub fn user_channel(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// Sends a server event to a socket (a failure only means the socket is going away).
pub fn emit<E: ServerEvent>(s: &SocketRef, event: &E) {
    if let Err(error) = s.emit(E::EVENT, event) {
        tracing::debug!(%error, event = E::EVENT, "could not send an event");
    }
}

/// Sends a server event to every socket `ops` selects.
pub async fn broadcast<E: ServerEvent>(ops: Ops, event: &E) {
    if let Err(error) = ops.emit(E::EVENT, event).await {
        tracing::debug!(%error, event = E::EVENT, "a broadcast did not reach every socket");
    }
}

/// Socket.IO room of every socket authenticated with one session (so logout reaches them on
/// every node).
#[must_use]
pub fn session_channel(token_hash: &str) -> String {
    format!("session:{token_hash}")
}

/// Registers every namespace on `io` (with a shared adapter this subscribes to its Redis
/// channels). Middlewares run last-added first: authenticate, then prepare the socket, then
/// (after the CONNECT ack) the connect handler.
///
/// # Errors
/// When the adapter cannot subscribe (Redis unreachable).
pub async fn register(io: &SocketIo) -> anyhow::Result<()> {
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
