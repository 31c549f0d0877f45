//! Health for machines: `GET /livez` (the process answers), `GET /readyz` (it can serve:
//! database, Redis in a cluster, not shutting down), and `GET /api/health`, the JSON form of
//! `/readyz` kept for load balancers and deploy scripts that use it (v1.1).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use protocol::Empty;
use protocol::http::HealthRes;

use super::pipeline::{Answer, ApiCtx};
use super::state::AppState;
use crate::error::AppResult;
use crate::hub::Readiness;

/// 200 `{node, ready: true}` when the node serves; 503 with `ready: false` while it shuts down
/// or cannot reach its database or (in a cluster) Redis.
pub async fn health(ctx: ApiCtx, _: Empty) -> AppResult<Answer<HealthRes>> {
    let ready = ctx.state.services.hub.readiness().await.ready();
    Ok(Answer::json(
        status_of(ready),
        HealthRes {
            node: ctx.state.node.0.clone(),
            ready,
        },
    ))
}

/// `GET /livez`: 200 while the process answers at all (no database, no Redis): a supervisor
/// restarts the process only when this fails.
pub async fn livez() -> Response {
    text(StatusCode::OK, "ok\n".to_owned())
}

/// `GET /readyz`: 200 when the node can serve, else 503; the body names each check, one per
/// line (`database ok`, `redis failed`, `draining yes`…).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let readiness = state.services.hub.readiness().await;
    text(status_of(readiness.ready()), report(readiness))
}

fn report(readiness: Readiness) -> String {
    let check = |ok: bool| if ok { "ok" } else { "failed" };
    let redis = readiness.redis.map_or("not used", check);
    format!(
        "database {}\nredis {redis}\ndraining {}\n",
        check(readiness.database),
        if readiness.draining { "yes" } else { "no" }
    )
}

fn status_of(ready: bool) -> StatusCode {
    if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_each_check() {
        let ready = Readiness {
            database: true,
            redis: None,
            draining: false,
        };
        assert!(ready.ready());
        assert_eq!(report(ready), "database ok\nredis not used\ndraining no\n");
        let down = Readiness {
            redis: Some(false),
            ..ready
        };
        assert!(!down.ready());
        assert!(report(down).contains("redis failed"));
        assert!(
            !Readiness {
                draining: true,
                ..ready
            }
            .ready()
        );
    }
}
