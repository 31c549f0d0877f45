//! Storing and delivering notifications: to one user (every tab) or to a channel's
//! subscribers. Offline users get what is stored when they next connect.

use protocol::events::notifications::{NOTIFICATION, NS};
use protocol::{Notification, PushRes};
use socketioxide::SocketIo;
use store::{NewNotification, Store};

use crate::auth::now_ms;
use crate::error::AppResult;
use crate::socket::user_channel;

/// Open `/notifications` sockets of a user right now.
#[must_use]
pub fn sockets_of(io: &SocketIo, user_id: i64) -> u64 {
    io.of(NS)
        .map_or(0, |ns| ns.to(user_channel(user_id)).sockets().len() as u64)
}

/// Sends a stored notification to every open tab of its user; returns how many it reached.
pub async fn deliver(io: &SocketIo, user_id: i64, notification: &Notification) -> u64 {
    let Some(ns) = io.of(NS) else { return 0 };
    let reached = sockets_of(io, user_id);
    if reached > 0
        && let Err(error) = ns
            .to(user_channel(user_id))
            .emit(NOTIFICATION, notification)
            .await
    {
        tracing::debug!(%error, "a notification did not reach every tab");
    }
    reached
}

/// Stores a notification for one user and delivers it now where possible.
///
/// # Errors
/// A database failure.
pub async fn to_user(
    io: &SocketIo,
    store: &Store,
    user_id: i64,
    new: &NewNotification,
) -> AppResult<PushRes> {
    let notification = store.insert_notification(user_id, new, now_ms()).await?;
    let delivered = deliver(io, user_id, &notification).await;
    Ok(PushRes {
        id: notification.id,
        delivered,
    })
}

/// Stores a copy for every subscriber of `channel` and delivers them now where possible.
///
/// # Errors
/// A database failure.
pub async fn to_channel(
    io: &SocketIo,
    store: &Store,
    channel: &str,
    new: &NewNotification,
) -> AppResult<PushRes> {
    let mut result = PushRes {
        id: 0,
        delivered: 0,
    };
    for user_id in store.channel_subscribers(channel).await? {
        let sent = to_user(io, store, user_id, new).await?;
        if result.id == 0 {
            result.id = sent.id;
        }
        result.delivered += sent.delivered;
    }
    Ok(result)
}

/// Percent-encodes a room name for a `?room=` query.
#[must_use]
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_room_names_for_urls() {
        assert_eq!(super::encode_query("Book club"), "Book%20club");
        assert_eq!(super::encode_query("café"), "caf%C3%A9");
        assert_eq!(super::encode_query("a&b=c"), "a%26b%3Dc");
    }
}
