//! A project's retention: how long its raw history and each rollup tier
//! are kept, the server's `[retention]` unless overridden here.

use actix_web::{get, put, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, Problem};
use super::projects::load;
use crate::domain::{Overrides, RetentionSpec};
use crate::store;

/// What a project keeps: the periods in force, and which of them the
/// project overrides (null: the server's `[retention]` setting).
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionView {
    /// Periods in force; `0` keeps forever.
    pub effective: RetentionSpec,
    pub overrides: RetentionSpec,
}

/// How long the project's history is kept.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = RetentionView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/projects/{code}/retention")]
pub async fn get_retention(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<web::Json<RetentionView>, ApiError> {
    let project = load(&state, &code).await?;
    let overrides = store::project_overrides(&state.db, project.id).await?;
    Ok(web::Json(view(&state, overrides)?))
}

/// Overrides how long the project's history is kept: periods such as
/// `7d`, `12h`, `2y`, `0` to keep forever, null (or left out) for the
/// server's `[retention]` setting. The sweep applies them within
/// `[retention] sweep_ms`.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code")),
    request_body(content = RetentionSpec, example = json!({"raw": "7d", "minute": "30d", "hour": null, "day": "0"})),
    responses(
        (status = 200, body = RetentionView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/projects/{code}/retention")]
pub async fn put_retention(
    state: web::Data<AppState>,
    code: web::Path<String>,
    spec: web::Json<RetentionSpec>,
) -> Result<web::Json<RetentionView>, ApiError> {
    let project = load(&state, &code).await?;
    let overrides = spec.parse().map_err(|(field, message)| ApiError::invalid(field, message))?;
    store::set_overrides(&state.db, project.id, overrides).await?;
    Ok(web::Json(view(&state, overrides)?))
}

fn view(state: &AppState, overrides: Overrides) -> Result<RetentionView, ApiError> {
    let configured = state.settings.retention.periods().map_err(|e| ApiError::Unexpected(anyhow::anyhow!(e)))?;
    Ok(RetentionView { effective: configured.with(overrides).spec(), overrides: RetentionSpec::render(overrides) })
}
