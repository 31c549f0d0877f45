//! The JSON API under `/api` and the guards every response passes through.

mod auth;
mod guards;
mod json;
mod notifications;

use axum::Router;
use axum::routing::{get, post};

pub use guards::{security_headers, socket_origin_guard};
pub use json::AppJson;

use crate::state::AppState;

/// Routes of the JSON API.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/guest", post(auth::guest))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route("/api/notifications", post(notifications::push))
        .route_layer(axum::middleware::from_fn_with_state(
            state,
            guards::csrf_guard,
        ))
}
