//! Middlewares: CSRF / Origin checks for cookie-authenticated requests and socket handshakes,
//! and security headers on every response.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{CredentialSource, origin_allowed, request_token};
use crate::error::AppError;
use crate::state::AppState;

/// Refuses state-changing API calls that ride on the session cookie from a foreign origin.
/// Bearer-token calls are not ambient credentials and pass.
pub async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let by_cookie = matches!(
        request_token(request.headers()),
        Some((_, CredentialSource::Cookie))
    );
    if unsafe_method
        && by_cookie
        && !origin_allowed(request.headers(), &state.config.allowed_origins)
    {
        return AppError::forbidden("cross-site request refused").into_response();
    }
    next.run(request).await
}

/// Refuses Socket.IO handshakes that carry the session cookie from a foreign origin before any
/// Engine.IO session exists (the socket library itself never looks at `Origin`).
pub async fn socket_origin_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_socket = request.uri().path().starts_with("/socket.io");
    if is_socket
        && crate::auth::cookie_token(request.headers()).is_some()
        && !origin_allowed(request.headers(), &state.config.allowed_origins)
    {
        tracing::warn!(origin = ?request.headers().get(header::ORIGIN), "socket handshake from a foreign origin refused");
        return (StatusCode::FORBIDDEN, "cross-site socket refused").into_response();
    }
    next.run(request).await
}

/// Adds nosniff, framing and referrer headers to every response, and a CSP without inline
/// scripts where the page shell did not already set one with its nonce.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY)
        && let Ok(csp) = HeaderValue::from_str(&app::csp::policy(None))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}
