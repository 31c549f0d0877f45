//! Socket.IO namespaces: registration and the handlers behind them.

pub mod admin;
pub mod auth;
pub mod chat;
pub mod notifications;
pub mod reply;

use protocol::User;
use serde::de::DeserializeOwned;
use socketioxide::extract::SocketRef;
use socketioxide::handler::ConnectHandler;
use socketioxide::{ParserError, SocketIo};

use crate::error::{AppError, AppResult};

/// The payload, or `bad_request` saying what is wrong with it.
fn payload<T: DeserializeOwned>(data: Result<T, ParserError>) -> AppResult<T> {
    data.map_err(|error| AppError::bad_request(format!("invalid payload: {error}")))
}

/// The client IP of a socket's handshake (`unknown` if the server did not record it).
#[must_use]
pub fn client_ip(s: &SocketRef) -> String {
    s.req_parts()
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string())
}

/// Open sockets in every namespace that satisfy `which`.
fn count_sockets(io: &SocketIo, which: impl Fn(&SocketRef) -> bool) -> usize {
    use protocol::events::{admin, chat, notifications};
    [chat::NS, notifications::NS, admin::NS]
        .into_iter()
        .filter_map(|ns| io.of(ns))
        .map(|ops| ops.sockets().iter().filter(|s| which(s)).count())
        .sum()
}

/// Answers an event no handler knows with `bad_request` (registered on every namespace).
async fn on_unknown_event(
    socketioxide::extract::Event(event): socketioxide::extract::Event,
    reply: reply::Reply,
) {
    reply.send::<protocol::Empty>(Err(AppError::bad_request(format!(
        "unknown event `{event}`"
    ))));
}

/// Start of every namespace's `prepare` middleware: the authenticated user, with the socket put
/// in that user's room (so a push reaches all of their tabs).
fn enter_user_room(s: &SocketRef) -> Result<User, auth::ConnectRefusal> {
    let user = s
        .extensions
        .get::<User>()
        .ok_or(auth::ConnectRefusal::Unauthorized)?;
    s.join(user_channel(user.id));
    Ok(user)
}

/// A user looked up by a (validated) name; `not_found` if there is none.
async fn existing_user(hub: &crate::hub::Hub, raw_name: &str) -> AppResult<User> {
    let username = protocol::validate::username(raw_name)?;
    hub.store
        .user_by_name(&username)
        .await?
        .map(|record| record.user)
        .ok_or_else(|| AppError::not_found(format!("there is no user called `{username}`")))
}

/// The user the CONNECT middleware stored.
fn user_of(s: &SocketRef) -> AppResult<User> {
    s.extensions
        .get::<User>()
        .ok_or_else(AppError::unauthorized)
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

/// Registers every namespace on `io`. Middlewares run last-added first: authenticate, then
/// prepare the socket, then (after the CONNECT ack) the connect handler.
pub fn register(io: &SocketIo) {
    io.ns(
        protocol::events::chat::NS,
        chat::on_connect
            .with(chat::prepare)
            .with(auth::authenticate),
    );
    io.ns(
        protocol::events::notifications::NS,
        notifications::on_connect
            .with(notifications::prepare)
            .with(auth::authenticate),
    );
    io.ns(
        protocol::events::admin::NS,
        admin::on_connect
            .with(admin::prepare)
            .with(auth::require_admin)
            .with(auth::authenticate),
    );
}
