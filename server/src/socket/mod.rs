//! Socket.IO namespaces: registration and the handlers behind them.

pub mod auth;
pub mod chat;
pub mod reply;

use socketioxide::SocketIo;
use socketioxide::handler::ConnectHandler;

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
}
