//! `GET /metrics` (v1.8): the node's Prometheus metrics, on the metrics address
//! (`TERTULIA_METRICS_ADDR`) and, when a token is set (`TERTULIA_METRICS_TOKEN`), on the main
//! address too. With a token every scrape must bring it as `Authorization: Bearer <token>`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::state::AppState;
use crate::metrics::{CONTENT_TYPE, State as Scraped};
use crate::services::Services;

/// The metrics as text, or 401 without the configured token.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.services.hub.config.metrics_token
        && !bears(&headers, token.expose())
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, r#"Bearer realm="metrics""#)],
            "metrics need the bearer token\n",
        )
            .into_response();
    }
    (
        [
            (header::CONTENT_TYPE, CONTENT_TYPE),
            (header::CACHE_CONTROL, "no-store"),
        ],
        render(&state.services),
    )
        .into_response()
}

/// Reads the state metrics show at scrape time, then renders them all.
pub(crate) fn render(services: &Services) -> String {
    let namespaces = [
        protocol::events::chat::NS,
        protocol::events::notifications::NS,
        protocol::events::admin::NS,
    ];
    let sockets = namespaces
        .into_iter()
        .map(|ns| {
            let count = services
                .fanout
                .ns(ns)
                .map_or(0, |ops| ops.local().sockets().len());
            (ns, count)
        })
        .collect();
    let hub = &services.hub;
    let metrics = hub.metrics();
    metrics.set_state(&Scraped {
        sockets,
        events_in_progress: hub
            .activity
            .in_flight
            .load(std::sync::atomic::Ordering::Acquire),
        db_connections: hub.store.connections(),
        previews_in_progress: hub.decoding.load(std::sync::atomic::Ordering::Acquire),
    });
    metrics.render()
}

/// Whether the request carries `Authorization: Bearer <token>` (compared as digests, so the
/// time taken says nothing about how much of it matched).
fn bears(headers: &HeaderMap, token: &str) -> bool {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return false;
    };
    Sha256::digest(given.trim().as_bytes()) == Sha256::digest(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, value.parse().unwrap());
            headers
        };
        let token = "0123456789abcdef";
        assert!(bears(&with("Bearer 0123456789abcdef"), token));
        assert!(!bears(&with("Bearer 0123456789abcde"), token));
        assert!(!bears(&with("Basic 0123456789abcdef"), token));
        assert!(!bears(&with("0123456789abcdef"), token));
        assert!(!bears(&HeaderMap::new(), token));
    }
}
