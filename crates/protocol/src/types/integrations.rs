//! Integrations (v1.19): incoming webhooks, a room's secret address where other programs (CI,
//! monitoring, a script) post messages that show as from a bot.

use serde::{Deserialize, Serialize};

use super::Author;

/// An incoming webhook of a room: what its room's moderators see of it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Its id: 16 lowercase hex digits, the first part of its address.
    pub id: String,
    /// The room its messages go to.
    pub room: String,
    /// The bot its messages show as from (the webhook's name).
    pub bot: Author,
    /// Who made it (absent once that account is deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<Author>,
    /// When.
    pub created_ts: i64,
}

/// `create_webhook` request (v1.19): a new webhook posting to `room` as a bot named `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWebhookReq {
    /// Room name.
    pub room: String,
    /// The bot's name: a free username (§4), e.g. `ci` or `Deploys`.
    pub name: String,
}

/// `create_webhook` ack body: the webhook, and its secret address (shown this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWebhookRes {
    /// The new webhook.
    pub webhook: Webhook,
    /// Where to post: `https://chat.example/api/hooks/<id>/<secret>` when the server knows the
    /// address people reach it at (`TERTULIA_PUBLIC_URL`), otherwise the path alone (a client
    /// puts it after the address it reached the server at).
    pub url: String,
}

/// `webhooks` request (v1.19): a room's webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksReq {
    /// Room name.
    pub room: String,
}

/// `webhooks` ack body: the room's webhooks, the newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksRes {
    /// At most [`crate::validate::WEBHOOKS_MAX`].
    pub webhooks: Vec<Webhook>,
}

/// `delete_webhook` request (v1.19): the webhook stops taking messages (those it posted stay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteWebhookReq {
    /// Its id.
    pub id: String,
}

/// The body of `POST /api/hooks/<id>/<secret>` (v1.19): a message, in the shape Slack's and
/// Mattermost's incoming webhooks take (other fields are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPost {
    /// The message's text (the rules of `message`).
    pub text: String,
}

/// The answer to a [`WebhookPost`]: the message it became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookPosted {
    /// The message's id.
    pub id: i64,
}
