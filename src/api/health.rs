//! Liveness and readiness probes.

use actix_web::{HttpResponse, get, web};
use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;
use serde_json::json;

use super::AppState;

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Process up")))]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database is reachable and every migration is applied.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Ready"), (status = 503, description = "Database unreachable or not migrated"))
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
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
