//! `POST /api/notifications`: admins push a notification to a user or a channel.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use protocol::{PushReq, PushRes, PushTarget, Role, validate};
use store::NewNotification;

use super::AppJson;
use crate::auth::{request_token, user_for_token};
use crate::error::{AppError, AppResult};
use crate::notify;
use crate::state::AppState;

/// `{to, kind, title, body, url?}` → 202 `{id, delivered}`; admins only.
pub async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<PushReq>,
) -> AppResult<(StatusCode, AppJson<PushRes>)> {
    let (token, _) = request_token(&headers).ok_or_else(AppError::unauthorized)?;
    let sender = user_for_token(&state.store, &token)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    if sender.role != Role::Admin {
        return Err(AppError::forbidden("only admins may push notifications"));
    }
    validate::notification(&body.kind, &body.title, &body.body, body.url.as_deref())?;
    let new = NewNotification {
        kind: body.kind,
        title: body.title.trim().to_owned(),
        body: body.body,
        url: body.url,
    };
    let sent = match body.to {
        PushTarget::User(id) => {
            if state.store.user_by_id(id).await?.is_none() {
                return Err(AppError::not_found(format!("there is no user {id}")));
            }
            notify::to_user(&state.io, &state.store, id, &new).await?
        }
        PushTarget::Channel(channel) => {
            let channel = validate::channel(&channel)?;
            notify::to_channel(&state.io, &state.store, &channel, &new).await?
        }
    };
    Ok((StatusCode::ACCEPTED, AppJson(sent)))
}
