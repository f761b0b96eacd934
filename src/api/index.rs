//! The computed index: latest result and history.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
pub use super::downsample::Downsample;
use super::downsample::{Chart, Columns};
use super::params::RangeParams;
use super::problem::{ApiError, Problem};
use super::projects::load_for_read;
use crate::store::{self, Bucket, HistoryPoint, IndexResult, Page, Project, Series};

/// The latest computed index with its per-indicator breakdown.
#[utoipa::path(
    tag = "index",
    params(("code" = String, Path, description = "Project code")),
    responses(
        (status = 200, body = IndexResult),
        (status = 404, description = "No such project, or nothing computed yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/projects/{code}/index")]
pub async fn latest(state: web::Data<AppState>, code: web::Path<String>) -> Result<web::Json<IndexResult>, ApiError> {
    let project = load_for_read(&state, &code).await?;
    store::latest_result(&state.db, &project).await?.map(web::Json).ok_or_else(|| {
        ApiError::NotFound(format!("project {code:?} has no result yet; push values with POST /v1/data"))
    })
}

/// Raw points, or buckets when `step` is given; either as two columns
/// with `format=columns`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum History {
    Points(Page<HistoryPoint>),
    Buckets(Page<Bucket>),
    Columns(Columns),
}

/// The index over time; with `step` (and `agg`) downsampled for charts.
#[utoipa::path(
    tag = "index",
    params(("code" = String, Path, description = "Project code"), RangeParams, Downsample),
    responses(
        (status = 200, body = History),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/projects/{code}/index/history")]
pub async fn history(
    state: web::Data<AppState>,
    code: web::Path<String>,
    range: web::Query<RangeParams>,
    down: web::Query<Downsample>,
) -> Result<web::Json<History>, ApiError> {
    let project = load_for_read(&state, &code).await?;
    Ok(web::Json(history_of(&state, &project, &range, &down).await?))
}

/// The history of `project` as `GET …/index/history` answers it; the
/// original API's `GET /v1/history` answers the same.
pub async fn history_of(
    state: &AppState,
    project: &Project,
    range: &RangeParams,
    down: &Downsample,
) -> Result<History, ApiError> {
    let page = down.page(range)?;
    let chart = down.chart(&page)?;
    let columns = down.columns()?;
    let Some(Chart { buckets, agg }) = chart else {
        let points = store::result_history(&state.db, project.id, &page).await?;
        if columns {
            return Ok(History::Columns(Columns::of(points, |p| (p.at, p.value))));
        }
        return Ok(History::Points(points));
    };
    let buckets = store::chart(&state.db, project.id, Series::Index, buckets, agg, &page).await?;
    if columns {
        return Ok(History::Columns(Columns::of(buckets, |b| (b.start, b.value))));
    }
    Ok(History::Buckets(buckets))
}
