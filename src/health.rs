//! Liveness and readiness probes.

use axum::{
    extract::{FromRef, State},
    http::StatusCode,
    response::IntoResponse,
    routing::get,
    Json, Router,
};
use serde_json::json;

use crate::state::AppState;

/// `GET /healthz` (the process answers), `GET /readyz` (the database, and
/// Redis when configured, answer) and `GET /metrics` (Prometheus text).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route(
            "/healthz",
            get(|| async { Json(json!({ "status": "ok" })) }),
        )
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Some(stats) = &state.bus_stats {
        crate::metrics::bus_counters(stats);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
    )
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.config.redis_url.is_some()
        && !(state.bus.is_connected() && state.presence.ping().await)
    {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "redis unreachable" })),
        );
    }
    match state.ping_db().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(err) => {
            err.report("readyz");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "database unreachable" })),
            )
        }
    }
}
