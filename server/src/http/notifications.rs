//! `POST /api/notifications`: admins push a notification to a user or a channel.

use axum::http::StatusCode;
use protocol::{PushReq, PushRes, PushTarget, Role, validate};
use store::NewNotification;

use super::pipeline::{Answer, ApiCtx};
use crate::error::{AppError, AppResult};

/// `{to, kind, title, body, url?}` → 202 `{id, delivered}`; admins only.
pub async fn push(ctx: ApiCtx, body: PushReq) -> AppResult<Answer<PushRes>> {
    if ctx.user()?.user.role != Role::Admin {
        return Err(AppError::forbidden("only admins may push notifications"));
    }
    let text = validate::line_breaks(&body.body).into_owned();
    validate::notification(body.kind.as_str(), &body.title, &text, body.url.as_deref())?;
    let new = NewNotification {
        kind: body.kind,
        title: body.title.trim().to_owned(),
        body: text,
        url: body.url,
    };
    let hub = &ctx.state.services.hub;
    let notifier = &ctx.state.services.notifier;
    let sent = match body.to {
        PushTarget::User(id) => {
            if hub.store.user_by_id(id).await?.is_none() {
                return Err(AppError::not_found(format!("there is no user {id}")));
            }
            notifier.to_user(id, &new).await?
        }
        PushTarget::Channel(channel) => {
            let channel = validate::channel(&channel)?;
            notifier.to_channel(&channel, &new).await?
        }
    };
    Ok(Answer::json(StatusCode::ACCEPTED, sent))
}
