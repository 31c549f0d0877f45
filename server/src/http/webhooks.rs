//! `POST /api/hooks/<id>/<secret>` (v1.19): a program posts a message through a room's
//! incoming webhook. No session: the secret in the address is the credential.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use protocol::{WebhookPost, WebhookPosted};

use super::pipeline::{ApiPolicy, admit, decode, unread_body};
use super::state::AppState;
use crate::client_addr::ClientAddr;
use crate::error::AppResult;

/// A post is as dear as a message's event, charged to the caller's address (the bot's own
/// message budget is charged too).
struct Posting;
impl ApiPolicy for Posting {
    const COST: u32 = 2;
}

/// `{text}` → 200 `{id}`: the message, sent to the webhook's room from its bot.
pub async fn post(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    Path((id, secret)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let posted = async {
        let _place = admit::<Posting>(&state, &client, &headers).await?;
        let body = body.map_err(unread_body)?;
        let post: WebhookPost = decode(&headers, &body)?;
        let message = state
            .services
            .chat
            .post_webhook(client.key, &id, &secret, &post.text)
            .await?;
        AppResult::Ok(WebhookPosted { id: message.id })
    };
    match posted.await {
        Ok(posted) => (StatusCode::OK, Json(posted)).into_response(),
        Err(error) => error.into_response(),
    }
}
