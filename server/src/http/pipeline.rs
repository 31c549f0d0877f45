//! The one way an API call is handled. [`route`] registers a handler for an
//! [`Endpoint`](protocol::http::Endpoint); every call then goes through the same steps:
//!
//! 1. a place among the client address's calls in progress (`TERTULIA_API_IN_FLIGHT_PER_IP`);
//! 2. the caller, from `Authorization: Bearer` or the session cookie, when there is one;
//! 3. the call's cost: sign-in attempts from the address's sign-in bucket, everything else
//!    from the caller's work budget (or the address's, for anonymous calls);
//! 4. the body, decoded from JSON into the endpoint's type (`bad_request` saying what is
//!    wrong; a body must be `application/json`);
//! 5. the handler, inside a tracing span;
//! 6. the answer: JSON with the endpoint's status, or `{"error":{code,message}}`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use protocol::User;
use protocol::http::{Endpoint, Method};
use serde::Serialize;
use tracing::Instrument;

use super::state::AppState;
use crate::auth::request_token;
use crate::client_addr::{AddrKey, ClientAddr};
use crate::error::{AppError, AppResult};
use crate::live::limits::{Action, Subject};

/// Largest API request body, in bytes.
pub const API_BODY_MAX: usize = 16 * 1024;

/// How an endpoint is charged.
pub trait ApiPolicy {
    /// Work units from the caller's budget.
    const COST: u32;
    /// Whether a call is a sign-in attempt (charged to the address's sign-in bucket instead).
    const SIGN_IN: bool = false;
}

impl ApiPolicy for protocol::http::Register {
    const COST: u32 = 0;
    const SIGN_IN: bool = true;
}
impl ApiPolicy for protocol::http::Login {
    const COST: u32 = 0;
    const SIGN_IN: bool = true;
}
impl ApiPolicy for protocol::http::Guest {
    const COST: u32 = 0;
    const SIGN_IN: bool = true;
}
impl ApiPolicy for protocol::http::Logout {
    const COST: u32 = 1;
}
impl ApiPolicy for protocol::http::Me {
    const COST: u32 = 1;
}
impl ApiPolicy for protocol::http::ChangePassword {
    // A password check is argon2 work: as dear as a sign-in.
    const COST: u32 = 0;
    const SIGN_IN: bool = true;
}
impl ApiPolicy for protocol::http::PushNotification {
    const COST: u32 = 5;
}
impl ApiPolicy for protocol::http::Health {
    const COST: u32 = 1;
}

/// Who is calling, when the call carries a live session.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user.
    pub user: User,
    /// Their session token.
    pub token: String,
}

/// What a handler gets besides the body.
pub struct ApiCtx {
    /// Shared state.
    pub state: AppState,
    /// The caller, if signed in.
    pub caller: Option<Caller>,
    /// The request's headers.
    pub headers: HeaderMap,
    /// The client's address (limits key).
    pub address: crate::client_addr::AddrKey,
}

impl ApiCtx {
    /// The signed-in caller.
    ///
    /// # Errors
    /// `unauthorized` for an anonymous call.
    pub fn user(&self) -> AppResult<&Caller> {
        self.caller.as_ref().ok_or_else(AppError::unauthorized)
    }
}

/// A successful answer: status, optional `Set-Cookie`, optional JSON body.
pub struct Answer<T> {
    status: StatusCode,
    cookies: Vec<HeaderValue>,
    body: Option<T>,
}

impl<T: Serialize> Answer<T> {
    /// `status` with `body`.
    pub fn json(status: StatusCode, body: T) -> Self {
        Self {
            status,
            cookies: Vec::new(),
            body: Some(body),
        }
    }

    /// `status` without a body.
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            cookies: Vec::new(),
            body: None,
        }
    }

    /// Adds a `Set-Cookie`.
    #[must_use]
    pub fn with_cookie(mut self, cookie: HeaderValue) -> Self {
        self.cookies.push(cookie);
        self
    }
}

impl<T: Serialize> IntoResponse for Answer<T> {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, axum::Json(body)).into_response(),
            None => self.status.into_response(),
        };
        for cookie in self.cookies {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
        response
    }
}

/// API calls in progress per client address, at most `max` each.
#[derive(Debug, Clone)]
pub struct ApiInFlight {
    counts: Arc<Mutex<HashMap<AddrKey, usize>>>,
    max: usize,
}

/// One call in progress; dropping it frees the place.
pub struct ApiPlace {
    counts: Arc<Mutex<HashMap<AddrKey, usize>>>,
    addr: AddrKey,
}

impl Drop for ApiPlace {
    fn drop(&mut self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.addr) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.addr);
            }
        }
    }
}

impl ApiInFlight {
    /// Places for `max` calls in progress per address (at least one).
    pub fn new(max: usize) -> Self {
        Self {
            counts: Arc::default(),
            max: max.max(1),
        }
    }

    fn enter(&self, addr: AddrKey) -> Option<ApiPlace> {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(addr).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(ApiPlace {
            counts: self.counts.clone(),
            addr,
        })
    }
}

/// Adds endpoint `E`, handled by `handler`, to `router`.
pub fn route<E, F, Fut>(router: Router<AppState>, handler: F) -> Router<AppState>
where
    E: Endpoint + ApiPolicy + 'static,
    F: Fn(ApiCtx, E::Body) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = AppResult<Answer<E::Response>>> + Send + 'static,
{
    let filter = match E::METHOD {
        Method::Get => MethodFilter::GET,
        Method::Post => MethodFilter::POST,
    };
    router.route(
        E::PATH,
        on(
            filter,
            move |State(state): State<AppState>,
                  client: ClientAddr,
                  headers: HeaderMap,
                  body: Result<Bytes, BytesRejection>| {
                let handler = handler.clone();
                let span = tracing::debug_span!("api", path = E::PATH, client = %client.key);
                async move {
                    match run::<E, _, _>(state, client, headers, body, handler).await {
                        Ok(answer) => answer.into_response(),
                        Err(error) => error.into_response(),
                    }
                }
                .instrument(span)
            },
        ),
    )
}

async fn run<E, F, Fut>(
    state: AppState,
    client: ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
    handler: F,
) -> AppResult<Answer<E::Response>>
where
    E: Endpoint + ApiPolicy,
    F: Fn(ApiCtx, E::Body) -> Fut,
    Fut: Future<Output = AppResult<Answer<E::Response>>>,
{
    let (_place, caller) = admit::<E>(&state, &client, &headers).await?;
    let body = body.map_err(unread_body)?;
    let body = decode::<E::Body>(&headers, &body)?;
    handler(
        ApiCtx {
            state,
            caller,
            headers,
            address: client.key,
        },
        body,
    )
    .await
}

/// Why a request's body could not be read, in the API's error shape: `too_long` (413) past
/// [`API_BODY_MAX`], `bad_request` otherwise (the body ended early).
pub(super) fn unread_body(rejection: BytesRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(
            protocol::ErrorCode::TooLong,
            format!(
                "the request body is larger than {} KiB",
                API_BODY_MAX / 1024
            ),
        )
    } else {
        AppError::bad_request(format!("the request body could not be read: {rejection}"))
    }
}

/// Steps 1 to 3 of a call charged like `P`: a place among the address's calls in progress (held
/// until the returned [`ApiPlace`] drops), the caller, and the charge.
///
/// # Errors
/// `rate_limited` when the address has too many calls in progress or the budget is spent;
/// store errors while looking up the caller.
pub async fn admit<P: ApiPolicy>(
    state: &AppState,
    client: &ClientAddr,
    headers: &HeaderMap,
) -> AppResult<(ApiPlace, Option<Caller>)> {
    let place = state
        .api_in_flight
        .enter(client.key)
        .ok_or_else(AppError::rate_limited)?;
    let caller = caller(state, headers).await?;
    let live = &state.services.hub.live;
    let allowed = if P::SIGN_IN {
        live.check(Action::Auth, Subject::Addr(client.key), 1).await
    } else {
        match &caller {
            Some(caller) => {
                live.charge(Action::Events, caller.user.id, client.key, P::COST)
                    .await
            }
            None => {
                live.check(Action::EventsFromAddr, Subject::Addr(client.key), P::COST)
                    .await
            }
        }
    };
    if !allowed {
        return Err(AppError::rate_limited());
    }
    Ok((place, caller))
}

/// The caller of a request that carries a token of a live session.
async fn caller(state: &AppState, headers: &HeaderMap) -> AppResult<Option<Caller>> {
    let Some((token, _)) = request_token(headers, state.services.hub.config.secure_cookies) else {
        return Ok(None);
    };
    Ok(state
        .services
        .accounts
        .session_user(&token)
        .await?
        .map(|user| Caller { user, token }))
}

/// Decodes a JSON body (an empty body reads as `{}`).
pub(super) fn decode<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> AppResult<T> {
    if body.is_empty() {
        return serde_json::from_slice(b"{}")
            .map_err(|error| AppError::bad_request(format!("a JSON body is required: {error}")));
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(AppError::bad_request(
            "send the body as JSON with `Content-Type: application/json`",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|error| AppError::bad_request(format!("invalid JSON body: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_per_address_are_bounded() {
        let places = ApiInFlight::new(3);
        let addr = AddrKey::of("1.2.3.4".parse().unwrap());
        let held: Vec<ApiPlace> = (0..3).map(|_| places.enter(addr).unwrap()).collect();
        assert!(places.enter(addr).is_none());
        assert!(
            places
                .enter(AddrKey::of("5.6.7.8".parse().unwrap()))
                .is_some()
        );
        drop(held);
        assert!(places.enter(addr).is_some());
    }

    #[test]
    fn bodies_must_be_json() {
        let mut headers = HeaderMap::new();
        assert!(decode::<protocol::Empty>(&headers, b"").is_ok());
        assert!(decode::<protocol::http::GuestReq>(&headers, br#"{"username":"a"}"#).is_err());
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(decode::<protocol::http::GuestReq>(&headers, br#"{"username":"a"}"#).is_ok());
        assert!(decode::<protocol::http::GuestReq>(&headers, br#"{"name":"a"}"#).is_err());
    }
}
