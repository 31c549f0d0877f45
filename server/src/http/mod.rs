//! The JSON API under `/api` (every endpoint through [`pipeline::route`]) and the guards every
//! response passes through.

mod auth;
mod files;
mod guards;
mod health;
mod notifications;
pub mod pipeline;
mod sign_in_form;
mod socket_head;

use axum::Router;
use protocol::http::{
    ChangePassword, Guest, Health, Login, Logout, Me, PushNotification, Register,
};

pub use guards::{
    NODE_COOKIE, host_guard, node_cookie, page_session, security_headers, socket_guard,
};
pub use socket_head::own_socket_request_head;

use crate::state::AppState;

/// Routes of the JSON API and the start page's form.
pub fn router(state: AppState) -> Router<AppState> {
    let mut api = Router::new();
    api = pipeline::route::<Register, _, _>(api, auth::register);
    api = pipeline::route::<Login, _, _>(api, auth::login);
    api = pipeline::route::<Guest, _, _>(api, auth::guest);
    api = pipeline::route::<Logout, _, _>(api, auth::logout);
    api = pipeline::route::<Me, _, _>(api, auth::me);
    api = pipeline::route::<ChangePassword, _, _>(api, auth::change_password);
    api = pipeline::route::<PushNotification, _, _>(api, notifications::push);
    api = pipeline::route::<Health, _, _>(api, health::health);
    api = api.route(
        protocol::links::SIGN_IN_FORM,
        axum::routing::post(sign_in_form::submit),
    );
    // Uploads stream their own bodies (with their own limit); the JSON body limit below does
    // not apply to a raw `Body`.
    api = api
        .route(protocol::links::FILES, axum::routing::post(files::upload))
        .route(
            &protocol::links::file("{id}"),
            axum::routing::get(files::download),
        )
        .route(
            &protocol::links::file_preview("{id}"),
            axum::routing::get(files::preview),
        );
    api.route_layer(axum::middleware::from_fn_with_state(
        state,
        guards::csrf_guard,
    ))
    .layer(axum::extract::DefaultBodyLimit::max(pipeline::API_BODY_MAX))
}
