//! `/api/auth/*` and `/api/me`: sign-up, sign-in, guests, sign-out, who am I.

use axum::http::StatusCode;
use protocol::http::{AuthRes, ChangePasswordReq, Credentials, GuestReq, MeRes};
use protocol::{Empty, ErrorCode, User, names, validate};

use super::pipeline::{Answer, ApiCtx};
use crate::auth::{
    cleared_cookie, hash_password, is_program, now_ms, session_cookie, start_session, token_hash,
    verify_password,
};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A signed-in answer: the user (plus the token for programs) and the session cookie.
async fn signed_in(ctx: &ApiCtx, user: User, status: StatusCode) -> AppResult<Answer<AuthRes>> {
    let config = &ctx.state.hub.config;
    let token = start_session(&ctx.state.hub.store, &user, config.session_days).await?;
    let cookie = session_cookie(&token, config.session_days, config.secure_cookies);
    let token = is_program(&ctx.headers).then_some(token);
    Ok(Answer::json(status, AuthRes { user, token }).with_cookie(cookie))
}

/// A name someone asks for: normalised, and not one of the reserved names.
fn chosen_name(raw: &str) -> AppResult<String> {
    let name = names::username(raw)?;
    if names::is_reserved_username(&name) {
        return Err(AppError::new(
            ErrorCode::Conflict,
            format!("`{name}` is reserved; pick another name"),
        ));
    }
    Ok(name)
}

/// `POST /api/auth/register` `{username, password}` → 201 `{user, token?}` + cookie.
pub async fn register(ctx: ApiCtx, body: Credentials) -> AppResult<Answer<AuthRes>> {
    let username = chosen_name(&body.username)?;
    validate::new_password(&body.password)?;
    let hash = hash_password(&ctx.state.hub.hashing, body.password).await?;
    let user = ctx
        .state
        .hub
        .store
        .create_account(&username, &hash, now_ms())
        .await
        .map_err(|error| match error {
            store::StoreError::Conflict => {
                AppError::new(ErrorCode::Conflict, "that username is taken; pick another")
            }
            other => other.into(),
        })?;
    tracing::info!(user = %user.username, role = user.role.as_str(), "account registered");
    signed_in(&ctx, user, StatusCode::CREATED).await
}

/// `POST /api/auth/login` `{username, password}` → 200 `{user, token?}` + cookie.
///
/// Unknown user, guest name and wrong password all get the same answer after the same work.
pub async fn login(ctx: ApiCtx, body: Credentials) -> AppResult<Answer<AuthRes>> {
    let wrong = || AppError::new(ErrorCode::Unauthorized, "wrong username or password");
    if body.password.chars().count() > validate::PASSWORD_MAX {
        return Err(wrong());
    }
    let record = match names::username(&body.username) {
        Ok(name) => ctx.state.hub.store.user_by_name(&name).await?,
        Err(_) => None,
    };
    let hash = record.as_ref().and_then(|r| r.password_hash.clone());
    if !verify_password(&ctx.state.hub.hashing, hash, body.password).await? {
        return Err(wrong());
    }
    let record = record.ok_or_else(wrong)?;
    if record.banned {
        return Err(AppError::forbidden("this account is banned"));
    }
    signed_in(&ctx, record.user, StatusCode::OK).await
}

/// `POST /api/me/password` `{current, new}` → 204: the new password, and every other session
/// of the account ended (its sockets disconnected).
pub async fn change_password(ctx: ApiCtx, body: ChangePasswordReq) -> AppResult<Answer<Empty>> {
    let caller = ctx.user()?;
    let wrong = || AppError::forbidden("the current password is wrong");
    let store = &ctx.state.hub.store;
    let record = store
        .user_record(caller.user.id)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    let Some(hash) = record.password_hash else {
        return Err(AppError::forbidden(
            "a guest has no password: create an account to have one",
        ));
    };
    if body.current.chars().count() > validate::PASSWORD_MAX {
        return Err(wrong());
    }
    validate::new_password(&body.new)?;
    let hashing = &ctx.state.hub.hashing;
    if !verify_password(hashing, Some(hash), body.current).await? {
        return Err(wrong());
    }
    let new_hash = hash_password(hashing, body.new).await?;
    store.set_password(caller.user.id, &new_hash).await?;
    let keep = token_hash(&caller.token);
    let revoked = store
        .revoke_other_sessions(caller.user.id, &keep, now_ms())
        .await?;
    for session in &revoked {
        disconnect_session(&ctx.state, session).await;
    }
    tracing::info!(user = %caller.user.username, others_signed_out = revoked.len(), "password changed");
    Ok(Answer::empty(StatusCode::NO_CONTENT))
}

/// `POST /api/auth/guest` `{username}` → 201 `{user, token?}` + cookie (name must be free).
pub async fn guest(ctx: ApiCtx, body: GuestReq) -> AppResult<Answer<AuthRes>> {
    if !ctx.state.hub.config.guests {
        return Err(AppError::forbidden(
            "guest access is switched off; please sign in",
        ));
    }
    let username = chosen_name(&body.username)?;
    let user = ctx
        .state
        .hub
        .store
        .create_guest(&username, now_ms())
        .await
        .map_err(|error| match error {
            store::StoreError::Conflict => AppError::new(
                ErrorCode::Conflict,
                format!("the name `{username}` is taken; pick another"),
            ),
            other => other.into(),
        })?;
    signed_in(&ctx, user, StatusCode::CREATED).await
}

/// `POST /api/auth/logout` → 204: the session revoked, its sockets disconnected, the cookie
/// cleared; a guest's name is free again once their last session ends.
pub async fn logout(ctx: ApiCtx, _: Empty) -> AppResult<Answer<Empty>> {
    if let Some(caller) = &ctx.caller {
        let hash = token_hash(&caller.token);
        let now = now_ms();
        let store = &ctx.state.hub.store;
        store.revoke_session(&hash, now).await?;
        disconnect_session(&ctx.state, &hash).await;
        if caller.user.role == protocol::Role::Guest
            && store.live_sessions(caller.user.id, now).await? == 0
            && store.release_guest(caller.user.id, now).await?
        {
            tracing::debug!(user = %caller.user.username, "guest name released");
        }
    }
    let cookie = cleared_cookie(ctx.state.hub.config.secure_cookies);
    Ok(Answer::empty(StatusCode::NO_CONTENT).with_cookie(cookie))
}

/// Disconnects every socket (any namespace, any node) that authenticated with this session.
async fn disconnect_session(state: &AppState, hash: &str) {
    use protocol::events::{admin, chat, notifications};
    for ns in [chat::NS, notifications::NS, admin::NS] {
        let Some(operators) = state.hub.ns(&state.io, ns) else {
            continue;
        };
        let session = operators.to(crate::socket::session_channel(hash));
        if let Err(error) = session.disconnect().await {
            tracing::warn!(%error, "disconnecting a revoked session's sockets");
        }
    }
}

/// `GET /api/me` → 200 `{user}` or 401.
pub async fn me(ctx: ApiCtx, _: Empty) -> AppResult<Answer<MeRes>> {
    let user = ctx.user()?.user.clone();
    Ok(Answer::json(StatusCode::OK, MeRes { user }))
}
