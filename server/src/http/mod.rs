//! The HTTP edge: the JSON API under `/api` (every endpoint through [`pipeline::route`]), the
//! start page's form, uploads and downloads, the guards every response passes through, and the
//! state HTTP handlers share.

pub(crate) mod assets;
mod auth;
mod avatars;
mod emoji;
mod files;
mod guards;
mod health;
mod highlight;
pub(crate) mod metrics;
mod notifications;
mod people;
pub(crate) mod pipeline;
mod sign_in_form;
mod socket_head;
mod state;
mod webhooks;

use axum::Router;
use protocol::http::{
    ChangePassword, DeleteAccount, Guest, Health, Highlight, Login, Logout, Me, PushNotification,
    Register,
};

pub use guards::{host_guard, node_cookie, page_session, security_headers, socket_guard};
pub use socket_head::own_socket_request_head;
pub(crate) use state::{AppParts, AppState, NodeId};

use crate::error::AppError;

/// Routes of the JSON API and the start page's form.
pub fn router(state: AppState) -> Router<AppState> {
    let mut api = Router::new();
    api = pipeline::route::<Register, _, _>(api, auth::register);
    api = pipeline::route::<Login, _, _>(api, auth::login);
    api = pipeline::route::<Guest, _, _>(api, auth::guest);
    api = pipeline::route::<Logout, _, _>(api, auth::logout);
    api = pipeline::route::<Me, _, _>(api, auth::me);
    api = pipeline::route::<ChangePassword, _, _>(api, auth::change_password);
    api = pipeline::route::<DeleteAccount, _, _>(api, people::delete_account);
    api = pipeline::route::<PushNotification, _, _>(api, notifications::push);
    api = pipeline::route::<Health, _, _>(api, health::health);
    api = pipeline::route::<Highlight, _, _>(api, highlight::highlight);
    // For machines: outside the API's pipeline (no session, no rate limit; `/readyz` reuses
    // one check a second whoever asks).
    api = api
        .route(protocol::links::LIVEZ, axum::routing::get(health::livez))
        .route(protocol::links::READYZ, axum::routing::get(health::readyz));
    // Metrics on the main address only with a token (see `metrics_router` for their own).
    if state.services.hub.config.metrics_token.is_some() {
        api = api.route(
            protocol::links::METRICS,
            axum::routing::get(metrics::metrics),
        );
    }
    api = api.route(
        protocol::links::SIGN_IN_FORM,
        axum::routing::post(sign_in_form::submit),
    );
    // Uploads stream their own bodies (with their own limit); the JSON body limit below does
    // not apply to a raw `Body`.
    api = api
        .route(
            protocol::links::EXPORT,
            axum::routing::get(people::export_mine),
        )
        .route(
            protocol::links::ADMIN_EXPORT,
            axum::routing::get(people::export_user),
        );
    api = api
        .route(protocol::links::FILES, axum::routing::post(files::upload))
        .route(
            &protocol::links::file("{id}"),
            axum::routing::get(files::download),
        )
        .route(
            &protocol::links::file_preview("{id}"),
            axum::routing::get(files::preview),
        )
        .route(
            &protocol::links::link_image("{id}"),
            axum::routing::get(files::link_image),
        )
        .route(
            protocol::links::MY_AVATAR,
            axum::routing::post(avatars::upload).delete(avatars::remove),
        )
        .route(
            &protocol::links::avatar("{id}"),
            axum::routing::get(avatars::serve),
        )
        .route(
            <protocol::http::Emoji as protocol::http::Endpoint>::PATH,
            axum::routing::get(emoji::serve),
        )
        .route(
            &protocol::links::webhook("{id}", "{secret}"),
            axum::routing::post(webhooks::post),
        );
    // Whatever else comes to `/api` is answered in the API's error shape too.
    api = api
        .route("/api", axum::routing::any(no_such_endpoint))
        .route("/api/", axum::routing::any(no_such_endpoint))
        .route("/api/{*rest}", axum::routing::any(no_such_endpoint))
        .method_not_allowed_fallback(method_not_allowed);
    api.route_layer(axum::middleware::from_fn_with_state(
        state,
        guards::csrf_guard,
    ))
    .layer(axum::extract::DefaultBodyLimit::max(pipeline::API_BODY_MAX))
}

/// The router of the metrics address (`TERTULIA_METRICS_ADDR`): `/metrics` and nothing else.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(
            protocol::links::METRICS,
            axum::routing::get(metrics::metrics),
        )
        .with_state(state)
}

/// Counts every HTTP answer by status class (`tertulia_http_responses_total`).
pub async fn count_responses(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    state
        .services
        .hub
        .metrics()
        .http_response(response.status().as_u16());
    response
}

/// 404 `not_found` for a path under `/api` that is no endpoint.
async fn no_such_endpoint(uri: axum::http::Uri) -> AppError {
    AppError::not_found(format!("there is no API endpoint {}", uri.path()))
}

/// 405 for an endpoint asked with a method it does not answer (the body says `bad_request`:
/// the error codes have none for it).
async fn method_not_allowed(method: axum::http::Method) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response =
        AppError::bad_request(format!("this endpoint does not answer {method}")).into_response();
    *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    response
}
