//! Storing and delivering notifications: to one user (every tab) or to a channel's
//! subscribers. Offline users get what is stored when they next connect.

use protocol::{Notification, PushRes};
use store::NewNotification;

use crate::clock::now_ms;
use crate::error::AppResult;
use crate::fanout::{Fanout, broadcast, user_channel};
use crate::hub::Hub;

/// The notification service. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Notifier {
    hub: Hub,
    fanout: Fanout,
}

impl Notifier {
    /// The service over `hub`, delivering through `fanout`.
    #[must_use]
    pub(crate) fn new(hub: Hub, fanout: Fanout) -> Self {
        Self { hub, fanout }
    }

    /// Open `/notifications` sockets of a user right now, on every node.
    async fn sockets_of(&self, user_id: i64) -> u64 {
        let Some(ns) = self.fanout.notifications() else {
            return 0;
        };
        match ns.to(user_channel(user_id)).fetch_sockets().await {
            Ok(sockets) => sockets.len() as u64,
            Err(error) => {
                tracing::warn!(%error, "counting a user's sockets");
                0
            }
        }
    }

    /// Sends a stored notification to every open tab of its user; returns how many it reached.
    async fn deliver(&self, user_id: i64, notification: &Notification) -> u64 {
        let Some(ns) = self.fanout.notifications() else {
            return 0;
        };
        let reached = self.sockets_of(user_id).await;
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
    pub(crate) async fn to_user(&self, user_id: i64, new: &NewNotification) -> AppResult<PushRes> {
        let notification = self
            .hub
            .store
            .insert_notification(
                user_id,
                new,
                now_ms(),
                self.hub.config.notification_retention,
            )
            .await?;
        let delivered = self.deliver(user_id, &notification).await;
        Ok(PushRes {
            id: notification.id,
            delivered,
        })
    }

    /// Stores a copy for every subscriber of `channel` and delivers them now where possible.
    ///
    /// # Errors
    /// A database failure.
    pub(crate) async fn to_channel(
        &self,
        channel: &str,
        new: &NewNotification,
    ) -> AppResult<PushRes> {
        let mut result = PushRes {
            id: 0,
            delivered: 0,
        };
        for user_id in self.hub.store.channel_subscribers(channel).await? {
            let sent = self.to_user(user_id, new).await?;
            if result.id == 0 {
                result.id = sent.id;
            }
            result.delivered += sent.delivered;
        }
        Ok(result)
    }
}
