//! `POST /sign-in`: the start page's form, posted by the browser itself when the page's script
//! has not run yet (or never does). It calls the same accounts service as the JSON API, with
//! the same limits, and answers with a redirect: to the chat with the session cookie, or back to the
//! start page with the mode, the name typed and the error code (never free text, so nobody
//! can craft a link that makes the page say something else).

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use protocol::http::Login;
use protocol::links::{self, start::Mode};
use serde::Deserialize;

use super::pipeline::admit;
use super::state::AppState;
use crate::auth::{device_cookie, device_token, session_cookie};
use crate::client_addr::ClientAddr;
use crate::error::{AppError, AppResult};

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
    if !state.services.hub.site.origin_allowed(&headers) {
        tracing::warn!(origin = ?headers.get(header::ORIGIN), "cross-site sign-in form refused");
        return AppError::forbidden("cross-site request refused").into_response();
    }
    match sign_in(state, client, headers, mode, &form).await {
        Ok(cookies) => {
            let mut response = Redirect::to(links::CHAT).into_response();
            for cookie in cookies {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(error) => {
            let typed = (!form.username.is_empty()).then_some(form.username.as_str());
            error.log_if_internal();
            let code = error.code();
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

/// Signs in as the mode says; the session cookie (and a new known-device cookie) on success.
async fn sign_in(
    state: AppState,
    client: ClientAddr,
    headers: HeaderMap,
    mode: Mode,
    form: &StartForm,
) -> AppResult<Vec<header::HeaderValue>> {
    // Every mode is a sign-in attempt, charged like the JSON endpoints.
    let (_place, _caller) = admit::<Login>(&state, &client, &headers).await?;
    let accounts = &state.services.accounts;
    let password = form.password.clone();
    let session = match mode {
        Mode::Guest => accounts.guest(client.key, &form.username).await?,
        Mode::SignIn => {
            let secure = state.services.hub.config.secure_cookies;
            let device = device_token(&headers, secure);
            accounts
                .login(client.key, &form.username, password, device.as_deref())
                .await?
        }
        Mode::SignUp => {
            accounts
                .register(client.key, &form.username, password)
                .await?
        }
    };
    let config = &state.services.hub.config;
    let mut cookies = vec![session_cookie(
        &session.token,
        config.session_days,
        config.secure_cookies,
    )];
    if let Some(device) = &session.device {
        cookies.push(device_cookie(device, config.secure_cookies));
    }
    Ok(cookies)
}
