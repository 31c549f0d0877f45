//! Namespace `/notifications` and `POST /api/notifications`.

use serde::{Deserialize, Serialize};

use crate::events::NotificationKind;

/// `subscribe` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeReq {
    /// Channel name.
    pub channel: String,
}

/// `unsubscribe` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsubscribeReq {
    /// Channel name.
    pub channel: String,
}

/// `mark_all_read` request; carries nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkAllReadReq {}

/// `mark_read` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkReadReq {
    /// Notification ids.
    pub ids: Vec<i64>,
}

/// `notification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Notification id.
    pub id: i64,
    /// Kind, e.g. `mention` or `announcement`.
    pub kind: NotificationKind,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Where clicking it leads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When it was created.
    pub ts: i64,
    /// Whether the user has read it.
    pub read: bool,
}

/// Who `POST /api/notifications` addresses: `{"user": id}` or `{"channel": "name"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushTarget {
    /// One user (all their tabs).
    User(i64),
    /// Every subscriber of a channel.
    Channel(String),
}

/// `POST /api/notifications` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReq {
    /// Recipient(s).
    pub to: PushTarget,
    /// Kind, e.g. `announcement`.
    pub kind: NotificationKind,
    /// Title line.
    pub title: String,
    /// Body text.
    pub body: String,
    /// Where clicking it leads.
    #[serde(default)]
    pub url: Option<String>,
}

/// `POST /api/notifications` answer (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRes {
    /// Id of the stored notification (for a channel: of the first subscriber's copy; 0 when
    /// the channel has no subscribers).
    pub id: i64,
    /// Sockets reached now.
    pub delivered: u64,
}
