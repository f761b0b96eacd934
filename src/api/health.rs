//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::AppState;
use crate::metrics::METRICS;

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Process up")))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Prometheus metrics of this process, and the index of every project.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let mut text = METRICS.render();
    match state.index_gauges.render(&state.db).await {
        Ok(gauges) => text.push_str(&gauges),
        // The process's own metrics matter most while the database is down.
        Err(e) => tracing::warn!(error = %e, "index gauges left out of /metrics: the database did not answer"),
    }
    match super::alert_gauges::render(&state.db).await {
        Ok(gauges) => text.push_str(&gauges),
        Err(e) => tracing::warn!(error = %e, "alert gauges left out of /metrics: the database did not answer"),
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text)
}

/// The database is reachable and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Ready"), (status = 503, description = "Database unreachable, not migrated, or the server is stopping"))
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.is_on() {
        return HttpResponse::ServiceUnavailable()
            .json(json!({"status": "not ready", "reason": "stopping: draining connections before shutdown"}));
    }
    let ping = state.db.execute_unprepared("SELECT 1").await;
    let pending = Migrator::get_pending_migrations(&state.db).await;
    match (ping, pending) {
        (Ok(_), Ok(p)) if p.is_empty() => HttpResponse::Ok().json(json!({"status": "ready"})),
        (Ok(_), Ok(p)) => HttpResponse::ServiceUnavailable().json(
            json!({"status": "not ready", "reason": format!("{} migrations pending; run `koi migrate`", p.len())}),
        ),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(json!({"status": "not ready", "reason": "database unreachable"}))
        }
    }
}
