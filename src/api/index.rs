//! The computed index: latest result and history.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::params::RangeParams;
use super::problem::{ApiError, Problem};
use super::projects::load_for_read;
use crate::store::{self, Agg, Bucket, HistoryPoint, IndexResult, Page};

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
    let page = range.page()?;
    let project = load_for_read(&state, &code).await?;
    let Some(step) = down.step.as_deref() else {
        if down.agg.is_some() {
            return Err(ApiError::invalid("agg", "only applies with step, e.g. step=5m&agg=avg"));
        }
        return Ok(web::Json(History::Points(store::result_history(&state.db, project.id, &page).await?)));
    };
    if page.descending {
        return Err(ApiError::invalid("order", "buckets are always oldest first; leave order out with step"));
    }
    let agg = parse_agg(down.agg.as_deref())?;
    let buckets = store::result_buckets(&state.db, project.id, parse_step(step)?, agg, &page).await?;
    Ok(web::Json(History::Buckets(buckets)))
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

/// Step in microseconds.
fn parse_step(step: &str) -> Result<i64, ApiError> {
    let invalid = || ApiError::invalid("step", format!("{step:?} is not a step such as 30s, 5m, 1h, 1d or 60"));
    let (digits, unit) = step.split_at(step.find(|c: char| !c.is_ascii_digit()).unwrap_or(step.len()));
    let n: i64 = digits.parse().map_err(|_| invalid())?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(invalid()),
    };
    match n.checked_mul(secs * 1_000_000) {
        Some(us) if n > 0 && n <= 366 * 86_400 => Ok(us),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_take_units_and_plain_seconds() {
        assert_eq!(parse_step("30s").unwrap(), 30_000_000);
        assert_eq!(parse_step("5m").unwrap(), 300_000_000);
        assert_eq!(parse_step("2h").unwrap(), 7_200_000_000);
        assert_eq!(parse_step("60").unwrap(), 60_000_000);
        for bad in ["", "0s", "m", "5w", "-5m", "1.5h"] {
            assert!(parse_step(bad).is_err(), "{bad}");
        }
    }
}
