//! The computed index: latest result and history.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::params::{RangeParams, parse_step};
use super::problem::{ApiError, Problem};
use super::projects::load_for_read;
use crate::store::{self, Agg, Bucket, HistoryPoint, IndexResult, Page, Project};

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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Downsample {
    /// Bucket width for charts: `30s`, `5m`, `1h`, `1d` or plain seconds.
    pub step: Option<String>,
    /// How to aggregate a bucket: `avg` (default), `min`, `max` or `last`.
    pub agg: Option<String>,
}

/// Raw points, or buckets when `step` is given.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum History {
    Points(Page<HistoryPoint>),
    Buckets(Page<Bucket>),
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
    let page = range.page()?;
    let Some(step) = down.step.as_deref() else {
        if down.agg.is_some() {
            return Err(ApiError::invalid("agg", "only applies with step, e.g. step=5m&agg=avg"));
        }
        return Ok(History::Points(store::result_history(&state.db, project.id, &page).await?));
    };
    if page.descending {
        return Err(ApiError::invalid("order", "buckets are always oldest first; leave order out with step"));
    }
    let agg = parse_agg(down.agg.as_deref())?;
    Ok(History::Buckets(store::result_buckets(&state.db, project.id, parse_step(step)?, agg, &page).await?))
}

fn parse_agg(agg: Option<&str>) -> Result<Agg, ApiError> {
    match agg.unwrap_or("avg") {
        "avg" => Ok(Agg::Avg),
        "min" => Ok(Agg::Min),
        "max" => Ok(Agg::Max),
        "last" => Ok(Agg::Last),
        other => Err(ApiError::invalid("agg", format!("must be avg, min, max or last, got {other:?}"))),
    }
}
