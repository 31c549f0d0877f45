//! `GET /api/health`: whether this node serves, for load balancers and deploy scripts.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use protocol::Empty;
use protocol::http::HealthRes;

use super::pipeline::{Answer, ApiCtx};
use crate::error::AppResult;

/// How long the database and Redis may take to answer a health check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 `{node, ready: true}` when the node serves; 503 with `ready: false` while it shuts down
/// or cannot reach its database or (in a cluster) Redis.
pub async fn health(ctx: ApiCtx, _: Empty) -> AppResult<Answer<HealthRes>> {
    let hub = &ctx.state.services.hub;
    let database = async { hub.store.ping().await.is_ok() };
    let redis = async {
        match hub.live.redis_backend() {
            Some(redis) => redis.ping().await.is_ok(),
            None => true,
        }
    };
    let reachable = tokio::time::timeout(CHECK_TIMEOUT, async {
        let (database, redis) = tokio::join!(database, redis);
        database && redis
    })
    .await
    .unwrap_or(false);
    let ready = reachable && !hub.activity.draining.load(Ordering::Acquire);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok(Answer::json(
        status,
        HealthRes {
            node: ctx.state.node.0.clone(),
            ready,
        },
    ))
}
