//! Each indicator's latest value and history.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::downsample::{Chart, Columns, Downsample};
use super::params::RangeParams;
use super::problem::{ApiError, Problem};
use super::projects::load_for_read;
use crate::domain::{Interval, Status, score};
use crate::store::{self, Bucket, Observation, Page, Project, Series};

/// An indicator's latest value and how it scores right now.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorState {
    pub key: String,
    pub title: String,
    pub unit: String,
    pub weight: f64,
    pub value: Option<f64>,
    pub observed_at: Option<DateTime<Utc>>,
    pub status: Status,
    pub interval: Option<Interval>,
    pub contribution: f64,
}

/// Every indicator's latest value and status, evaluated now (so a value
/// that has aged past `max_age_secs` shows `stale`).
#[utoipa::path(
    tag = "indicators",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = Vec<IndicatorState>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/projects/{code}/indicators")]
pub async fn states(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<web::Json<Vec<IndicatorState>>, ApiError> {
    let project = load_for_read(&state, &code).await?;
    Ok(web::Json(states_of(&state, &project).await?))
}

/// What `GET …/indicators` answers; the original API's
/// `GET /v1/index/targets` answers the same.
pub async fn states_of(state: &AppState, project: &Project) -> Result<Vec<IndicatorState>, ApiError> {
    let latest = store::latest_values(&state.db, project.id).await?;
    let now = score(&project.indicators, project.missing_policy, &latest, Utc::now());
    let current = project
        .indicators
        .iter()
        .zip(now.breakdown)
        .map(|(spec, c)| IndicatorState {
            key: c.key,
            title: spec.title.clone(),
            unit: spec.unit.clone(),
            weight: spec.weight,
            value: c.value,
            observed_at: c.observed_at,
            status: c.status,
            interval: c.interval,
            contribution: c.contribution,
        })
        .collect();
    Ok(current)
}

/// Stored observations, or buckets when `step` is given; either as two
/// columns with `format=columns`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum IndicatorHistory {
    Observations(Page<Observation>),
    Buckets(Page<Bucket>),
    Columns(Columns),
}

/// Stored observations of one indicator; with `step` (and `agg`)
/// downsampled for charts.
#[utoipa::path(
    tag = "indicators",
    params(("code" = String, Path, description = "Project code"), ("key" = String, Path, description = "Indicator key"), RangeParams, Downsample),
    responses(
        (status = 200, body = IndicatorHistory),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/projects/{code}/indicators/{key}/history")]
pub async fn history(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    range: web::Query<RangeParams>,
    down: web::Query<Downsample>,
) -> Result<web::Json<IndicatorHistory>, ApiError> {
    let (code, key) = path.into_inner();
    let project = load_for_read(&state, &code).await?;
    let page = down.page(&range)?;
    let chart = down.chart(&page)?;
    let columns = down.columns()?;
    let Some(Chart { buckets, agg }) = chart else {
        let values = observations_of(&state, &project, &key, &range).await?;
        if columns {
            return Ok(web::Json(IndicatorHistory::Columns(Columns::of(values, |o| (o.observed_at, o.value)))));
        }
        return Ok(web::Json(IndicatorHistory::Observations(values)));
    };
    known(&project, &key)?;
    let buckets = store::chart(&state.db, project.id, Series::Indicator(&key), buckets, agg, &page).await?;
    if columns {
        return Ok(web::Json(IndicatorHistory::Columns(Columns::of(buckets, |b| (b.start, b.value)))));
    }
    Ok(web::Json(IndicatorHistory::Buckets(buckets)))
}

fn known(project: &Project, key: &str) -> Result<(), ApiError> {
    if project.indicators.iter().any(|i| i.key == key) {
        return Ok(());
    }
    Err(ApiError::NotFound(format!("project {:?} has no indicator {key:?}", project.code)))
}

/// What `GET …/indicators/{key}/history` answers; also the original API's
/// `GET /v1/history` with `name`.
pub async fn observations_of(
    state: &AppState,
    project: &Project,
    key: &str,
    range: &RangeParams,
) -> Result<Page<Observation>, ApiError> {
    let page = range.page()?;
    known(project, key)?;
    Ok(store::observation_history(&state.db, project.id, key, &page).await?)
}
