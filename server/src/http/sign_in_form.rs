//! `POST /sign-in`: the start page's form, posted by the browser itself when the page's script
//! has not run yet (or never does). It runs the same sign-in handlers as the JSON API, with the
//! same limits, and answers with a redirect: to the chat with the session cookie, or back to the
//! start page with the mode, the name typed and the error code (never free text, so nobody
//! can craft a link that makes the page say something else).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use protocol::http::{Credentials, GuestReq, Login};
use protocol::links::{self, start::Mode};
use serde::Deserialize;

use super::auth;
use super::pipeline::{ApiCtx, admit};
use crate::client_addr::ClientAddr;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The form's fields (all optional on the wire: a missing one reads as empty).
#[derive(Debug, Default, Deserialize)]
pub struct StartForm {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// Handles the form post.
pub async fn submit(
    State(state): State<AppState>,
    client: ClientAddr,
    headers: HeaderMap,
    form: Result<axum::Form<StartForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|axum::Form(form)| form).unwrap_or_default();
    let mode = Mode::parse(&form.mode);
    // A page on another site must not sign this browser in to an account of its choosing.
    if !state.hub.site.origin_allowed(&headers) {
        tracing::warn!(origin = ?headers.get(header::ORIGIN), "cross-site sign-in form refused");
        return AppError::forbidden("cross-site request refused").into_response();
    }
    match sign_in(state, client, headers, mode, &form).await {
        Ok(cookie) => {
            let mut response = Redirect::to(links::CHAT).into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(error) => {
            let typed = (!form.username.is_empty()).then_some(form.username.as_str());
            // `body` logs an internal fault (once) and gives only its code.
            let code = error.body().code;
            let back = links::start::page(mode, typed, Some(code.as_str()));
            let mut response = Redirect::to(&back).into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            response
        }
    }
}

/// Runs the mode's handler; the session cookie on success.
async fn sign_in(
    state: AppState,
    client: ClientAddr,
    headers: HeaderMap,
    mode: Mode,
    form: &StartForm,
) -> AppResult<header::HeaderValue> {
    // Every mode is a sign-in attempt, charged like the JSON endpoints.
    let (_place, caller) = admit::<Login>(&state, &client, &headers).await?;
    let ctx = ApiCtx {
        state,
        caller,
        client,
        headers,
    };
    let username = form.username.clone();
    let password = form.password.clone();
    let answer = match mode {
        Mode::Guest => auth::guest(ctx, GuestReq { username }).await?,
        Mode::SignIn => auth::login(ctx, Credentials { username, password }).await?,
        Mode::SignUp => auth::register(ctx, Credentials { username, password }).await?,
    };
    answer
        .cookie()
        .cloned()
        .ok_or_else(|| AppError::Internal("a sign-in answer without a session cookie".into()))
}
