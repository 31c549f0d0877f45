//! `/api/auth/*` and `/api/me`: sign-up, sign-in, guests, sign-out, who am I.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::http::{AuthRes, Credentials, GuestReq, MeRes};
use protocol::{User, validate};

use super::AppJson;
use crate::auth::{
    cleared_cookie, hash_password, now_ms, request_token, session_cookie, start_session,
    token_hash, user_for_token, verify_password,
};
use crate::error::{AppError, AppResult};
use crate::limits::Action;
use crate::state::AppState;

/// The client's IP address (from the accepted TCP connection), for per-IP limits.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |info| info.0.ip().to_string());
        Ok(Self(ip))
    }
}

fn limit_auth(state: &AppState, ip: &ClientIp) -> AppResult<()> {
    if state.limits.check(Action::Auth, &ip.0) {
        Ok(())
    } else {
        Err(AppError::rate_limited())
    }
}

/// A signed-in answer: the JSON body plus the session cookie.
async fn signed_in(state: &AppState, user: User, status: StatusCode) -> AppResult<Response> {
    let days = state.config.session_days;
    let token = start_session(&state.store, &user, days).await?;
    let cookie = session_cookie(&token, days, state.config.secure_cookies);
    Ok((
        status,
        [(header::SET_COOKIE, cookie)],
        AppJson(AuthRes { user, token }),
    )
        .into_response())
}

/// `POST /api/auth/register` `{username, password}` → 201 `{user, token}` + cookie.
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    AppJson(body): AppJson<Credentials>,
) -> AppResult<Response> {
    limit_auth(&state, &ip)?;
    let username = validate::username(&body.username)?;
    validate::new_password(&body.password)?;
    let hash = hash_password(body.password).await?;
    let user = state
        .store
        .create_account(&username, &hash, now_ms())
        .await
        .map_err(|error| match error {
            store::StoreError::Conflict => AppError::new(
                protocol::ErrorCode::Conflict,
                "that username is taken; pick another",
            ),
            other => other.into(),
        })?;
    tracing::info!(user = %user.username, role = user.role.as_str(), "account registered");
    signed_in(&state, user, StatusCode::CREATED).await
}

/// `POST /api/auth/login` `{username, password}` → 200 `{user, token}` + cookie.
///
/// Unknown user, guest name and wrong password all get the same answer in the same time.
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    AppJson(body): AppJson<Credentials>,
) -> AppResult<Response> {
    limit_auth(&state, &ip)?;
    let wrong = || {
        AppError::new(
            protocol::ErrorCode::Unauthorized,
            "wrong username or password",
        )
    };
    if body.password.chars().count() > validate::PASSWORD_MAX {
        return Err(wrong());
    }
    let record = match validate::username(&body.username) {
        Ok(name) => state.store.user_by_name(&name).await?,
        Err(_) => None,
    };
    let hash = record.as_ref().and_then(|r| r.password_hash.clone());
    if !verify_password(hash, body.password).await {
        return Err(wrong());
    }
    let user = record.ok_or_else(wrong)?.user;
    signed_in(&state, user, StatusCode::OK).await
}

/// `POST /api/auth/guest` `{username}` → 201 `{user, token}` + cookie (name must be free).
pub async fn guest(
    State(state): State<AppState>,
    ip: ClientIp,
    AppJson(body): AppJson<GuestReq>,
) -> AppResult<Response> {
    if !state.config.guests {
        return Err(AppError::forbidden(
            "guest access is switched off; please sign in",
        ));
    }
    limit_auth(&state, &ip)?;
    let username = validate::username(&body.username)?;
    let user = state
        .store
        .create_guest(&username, now_ms())
        .await
        .map_err(|error| match error {
            store::StoreError::Conflict => AppError::new(
                protocol::ErrorCode::Conflict,
                format!("the name `{username}` is taken; pick another"),
            ),
            other => other.into(),
        })?;
    signed_in(&state, user, StatusCode::CREATED).await
}

/// `POST /api/auth/logout` → 204, the session revoked, its sockets disconnected and the
/// cookie cleared.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    if let Some((token, _)) = request_token(&headers) {
        let hash = token_hash(&token);
        state.store.revoke_session(&hash, now_ms()).await?;
        disconnect_session(&state, &hash);
    }
    let cookie = cleared_cookie(state.config.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Disconnects every socket (any namespace) that authenticated with this session.
fn disconnect_session(state: &AppState, hash: &str) {
    use crate::socket::auth::SessionKey;
    use protocol::events::{admin, chat, notifications};
    let key = SessionKey(hash.to_owned());
    for ns in [chat::NS, notifications::NS, admin::NS] {
        let Some(operators) = state.io.of(ns) else {
            continue;
        };
        for socket in operators.sockets() {
            if socket.extensions.get::<SessionKey>().as_ref() == Some(&key) {
                let _ = socket.disconnect();
            }
        }
    }
}

/// `GET /api/me` → 200 `{user}` or 401.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> AppResult<AppJson<MeRes>> {
    let (token, _) = request_token(&headers).ok_or_else(AppError::unauthorized)?;
    let user = user_for_token(&state.store, &token)
        .await?
        .ok_or_else(AppError::unauthorized)?;
    Ok(AppJson(MeRes { user }))
}
