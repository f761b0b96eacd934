//! What-if: the index a draft configuration would have given over a range
//! of stored values, beside the current configuration's. Nothing is stored.

use std::collections::HashMap;

use actix_web::{post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::params::{parse_step, parse_time};
use super::problem::{ApiError, Problem};
use super::projects::{check_replacement, load};
use crate::domain::{IndicatorSpec, Latest, ProjectSpec, Reading, sample, score};
use crate::store::{self, from_micros};

/// Most samples one preview computes.
const MAX_SAMPLES: i64 = 10_000;
/// Stored pushes read per round trip.
const CHUNK: u64 = 20_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewParams {
    /// First sample, RFC 3339.
    pub from: String,
    /// Last sample at or before this time, RFC 3339.
    pub to: String,
    /// Time between samples: `30s`, `5m`, `1h`, `1d` or plain seconds; at
    /// most 10,000 samples.
    pub step: String,
}

/// The index at one sample time under both configurations.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewPoint {
    pub at: DateTime<Utc>,
    pub current: f64,
    pub draft: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewSummary {
    /// Mean of draft − current over the samples.
    pub mean_difference: f64,
    /// Largest |draft − current|, and where.
    pub max_difference: f64,
    pub max_difference_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub points: Vec<PreviewPoint>,
    pub summary: PreviewSummary,
}

/// What a draft configuration would have made of the stored values.
///
/// The body is a project as for `PUT /v1/projects/{code}`. Both series are
/// computed from the stored values at each sample time, the current one
/// under the project's configuration now (not the revisions its history
/// was computed with), so the two differ only by the draft.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code"), PreviewParams),
    request_body = ProjectSpec,
    responses(
        (status = 200, body = Preview),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid draft, range or step", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/projects/{code}/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    code: web::Path<String>,
    params: web::Query<PreviewParams>,
    draft: web::Json<ProjectSpec>,
) -> Result<web::Json<Preview>, ApiError> {
    let draft = draft.into_inner();
    check_replacement(&state, &draft, &code)?;
    let times = sample_times(&params)?;
    let project = load(&state, &code).await?;
    let keys: Vec<IndicatorSpec> = project.indicators.iter().chain(&draft.indicators).cloned().collect();
    let (first, last) = (times[0], times[times.len() - 1]);
    let mut latest = store::state_before(&state.db, project.id, &keys, first).await?;
    let evaluate = |l: &HashMap<String, Latest>, t| {
        let current = score(&project.indicators, project.missing_policy, l, t).value;
        (current, score(&draft.indicators, draft.missing_policy, l, t).value)
    };
    let (mut values, mut cursor, mut rest) = (Vec::with_capacity(times.len()), first, &times[..]);
    while !rest.is_empty() {
        let (readings, until) = store::readings_chunk(&state.db, project.id, cursor, last + 1, CHUNK).await?;
        let views: Vec<Reading> = readings.iter().map(|r| Reading { at: r.at, values: &r.values }).collect();
        // The chunk holds every reading before `until`: the samples before
        // it are complete, and `latest` moves on to `until`.
        let due = rest.iter().take_while(|&&t| t < until).count();
        values.extend(sample(evaluate, &mut latest, &views, &rest[..due]));
        (cursor, rest) = (until, &rest[due..]);
    }
    Ok(web::Json(summarise(&times, values)))
}

fn sample_times(params: &PreviewParams) -> Result<Vec<i64>, ApiError> {
    let from = parse_time("from", Some(&params.from))?.expect("given");
    let to = parse_time("to", Some(&params.to))?.expect("given");
    let step = parse_step(&params.step)?;
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    let count = (to - from) / step + 1;
    if count > MAX_SAMPLES {
        return Err(ApiError::invalid(
            "step",
            format!("{count} samples; at most {MAX_SAMPLES}: widen the step or narrow the range"),
        ));
    }
    Ok((0..count).map(|k| from + k * step).collect())
}

fn summarise(times: &[i64], values: Vec<(f64, f64)>) -> Preview {
    let mut summary = PreviewSummary { mean_difference: 0.0, max_difference: 0.0, max_difference_at: None };
    let mut points = Vec::with_capacity(values.len());
    for (&at, (current, draft)) in times.iter().zip(values) {
        let difference = draft - current;
        summary.mean_difference += difference / times.len() as f64;
        if summary.max_difference_at.is_none() || difference.abs() > summary.max_difference {
            (summary.max_difference, summary.max_difference_at) = (difference.abs(), Some(from_micros(at)));
        }
        points.push(PreviewPoint { at: from_micros(at), current, draft });
    }
    Preview { points, summary }
}
