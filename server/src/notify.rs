//! Storing and delivering notifications: to one user (every tab) or to a channel's
//! subscribers. Offline users get what is stored when they next connect.

use protocol::events::notifications::NS;
use protocol::{Notification, PushRes};
use store::NewNotification;

use crate::auth::now_ms;
use crate::error::AppResult;
use crate::hub::Hub;
use crate::socket::{SocketIo, broadcast, user_channel};

/// Open `/notifications` sockets of a user right now, on every node.
pub async fn sockets_of(io: &SocketIo, hub: &Hub, user_id: i64) -> u64 {
    let Some(ns) = hub.ns(io, NS) else { return 0 };
    match ns.to(user_channel(user_id)).fetch_sockets().await {
        Ok(sockets) => sockets.len() as u64,
        Err(error) => {
            tracing::warn!(%error, "counting a user's sockets");
            0
        }
    }
}

/// Sends a stored notification to every open tab of its user; returns how many it reached.
pub async fn deliver(io: &SocketIo, hub: &Hub, user_id: i64, notification: &Notification) -> u64 {
    let Some(ns) = hub.ns(io, NS) else { return 0 };
    let reached = sockets_of(io, hub, user_id).await;
    if reached > 0 {
        broadcast(ns.to(user_channel(user_id)), notification).await;
    }
    reached
}

/// Stores a notification for one user (keeping their newest ones only) and delivers it now
/// where possible.
///
/// # Errors
/// A database failure.
pub async fn to_user(
    io: &SocketIo,
    hub: &Hub,
    user_id: i64,
    new: &NewNotification,
) -> AppResult<PushRes> {
    let notification = hub
        .store
        .insert_notification(user_id, new, now_ms(), hub.config.notification_retention)
        .await?;
    let delivered = deliver(io, hub, user_id, &notification).await;
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
    hub: &Hub,
    channel: &str,
    new: &NewNotification,
) -> AppResult<PushRes> {
    let mut result = PushRes {
        id: 0,
        delivered: 0,
    };
    for user_id in hub.store.channel_subscribers(channel).await? {
        let sent = to_user(io, hub, user_id, new).await?;
        if result.id == 0 {
            result.id = sent.id;
        }
        result.delivered += sent.delivered;
    }
    Ok(result)
}
