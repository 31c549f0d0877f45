//! `/api/auth/*` and `/api/me`: sign-up, sign-in, guests, sign-out, who am I, a new password.
//! Each handler is a call of the [accounts service](crate::accounts); what is left here is
//! HTTP: the status, the session cookie, and the token in the body for programs only.

use axum::http::StatusCode;
use protocol::Empty;
use protocol::http::{AuthRes, ChangePasswordReq, Credentials, GuestReq, MeRes};

use super::pipeline::{Answer, ApiCtx};
use crate::accounts::SignedIn;
use crate::auth::{cleared_cookie, device_cookie, device_token, is_program, session_cookie};
use crate::error::AppResult;

/// A signed-in answer: the user (plus the token for programs) and the session cookie.
fn signed_in(ctx: &ApiCtx, signed_in: SignedIn, status: StatusCode) -> Answer<AuthRes> {
    let config = &ctx.state.services.hub.config;
    let cookie = session_cookie(&signed_in.token, config.session_days, config.secure_cookies);
    let token = is_program(&ctx.headers).then_some(signed_in.token);
    let answer = Answer::json(
        status,
        AuthRes {
            user: signed_in.user,
            token,
        },
    )
    .with_cookie(cookie);
    match signed_in.device {
        Some(device) => answer.with_cookie(device_cookie(&device, config.secure_cookies)),
        None => answer,
    }
}

/// `POST /api/auth/register` `{username, password}` → 201 `{user, token?}` + cookie.
pub async fn register(ctx: ApiCtx, body: Credentials) -> AppResult<Answer<AuthRes>> {
    let session = ctx
        .state
        .services
        .accounts
        .register(ctx.address, &body.username, body.password)
        .await?;
    Ok(signed_in(&ctx, session, StatusCode::CREATED))
}

/// `POST /api/auth/login` `{username, password}` → 200 `{user, token?}` + cookie.
pub async fn login(ctx: ApiCtx, body: Credentials) -> AppResult<Answer<AuthRes>> {
    let session = ctx
        .state
        .services
        .accounts
        .login(
            ctx.address,
            &body.username,
            body.password,
            device_token(&ctx.headers, ctx.state.services.hub.config.secure_cookies).as_deref(),
        )
        .await?;
    Ok(signed_in(&ctx, session, StatusCode::OK))
}

/// `POST /api/auth/guest` `{username}` → 201 `{user, token?}` + cookie (name must be free).
pub async fn guest(ctx: ApiCtx, body: GuestReq) -> AppResult<Answer<AuthRes>> {
    let session = ctx
        .state
        .services
        .accounts
        .guest(ctx.address, &body.username)
        .await?;
    Ok(signed_in(&ctx, session, StatusCode::CREATED))
}

/// `POST /api/me/password` `{current, new}` → 204: the new password, and every other session
/// of the account ended (its sockets disconnected).
pub async fn change_password(ctx: ApiCtx, body: ChangePasswordReq) -> AppResult<Answer<Empty>> {
    let caller = ctx.user()?;
    ctx.state
        .services
        .accounts
        .change_password(
            ctx.address,
            &caller.user,
            &caller.token,
            body.current,
            body.new,
        )
        .await?;
    Ok(Answer::empty(StatusCode::NO_CONTENT))
}

/// `POST /api/auth/logout` → 204: the session revoked, its sockets disconnected, the cookie
/// cleared; a guest's name is free again once their last session ends.
pub async fn logout(ctx: ApiCtx, _: Empty) -> AppResult<Answer<Empty>> {
    if let Some(caller) = &ctx.caller {
        ctx.state
            .services
            .accounts
            .sign_out(&caller.user, &caller.token)
            .await?;
    }
    let cookie = cleared_cookie(ctx.state.services.hub.config.secure_cookies);
    Ok(Answer::empty(StatusCode::NO_CONTENT).with_cookie(cookie))
}

/// `GET /api/me` → 200 `{user}` or 401.
pub async fn me(ctx: ApiCtx, _: Empty) -> AppResult<Answer<MeRes>> {
    let user = ctx.user()?.user.clone();
    Ok(Answer::json(StatusCode::OK, MeRes { user }))
}
