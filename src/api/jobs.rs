//! Background recompute jobs: rescoring a project's history, and their
//! progress (imports and late values start them too).

use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::AppState;
use super::params::parse_time;
use super::problem::{ApiError, Problem};
use super::projects::{load, load_for_read};
use crate::store::{self, JobView};

/// The range to recompute; both ends optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescoreBody {
    /// Inclusive start, RFC 3339; default: the project's first value.
    #[schema(example = "2026-10-01T00:00:00Z")]
    pub from: Option<String>,
    /// Exclusive end, RFC 3339; default: the end of the history.
    pub to: Option<String>,
}

/// Recompute the history (or a range of it) under the current configuration.
///
/// Runs as a background job, a bounded chunk per transaction, and survives
/// a restart. A project has one job at a time: a rescore while another is
/// pending widens that one.
#[utoipa::path(
    tag = "index",
    params(("code" = String, Path, description = "Project code")),
    request_body(content = Option<RescoreBody>, description = "Range; an empty body rescores everything"),
    responses(
        (status = 202, description = "The job, queued or already running", body = JobView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/projects/{code}/rescore")]
pub async fn rescore(
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: Option<web::Json<RescoreBody>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.map(web::Json::into_inner).unwrap_or_default();
    let project = load(&state, &code).await?;
    let to = parse_time("to", body.to.as_deref())?;
    let from = match parse_time("from", body.from.as_deref())? {
        Some(from) => from,
        None => match store::readings(&state.db, project.id, i64::MIN, None, 1).await?.first() {
            Some(first) => first.at,
            None => return Err(ApiError::invalid("from", format!("project {code:?} has no values to rescore yet"))),
        },
    };
    if to.is_some_and(|to| to <= from) {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let job = state.ingestor.rescore(&code, from, to).await?;
    let job = job.ok_or_else(|| anyhow::anyhow!("rescore of {code:?} started no job"))?;
    Ok(HttpResponse::Accepted().json(view(&state, job).await?))
}

/// A background job's state and progress.
#[utoipa::path(
    tag = "index",
    params(("id" = i64, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/jobs/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<JobView>, ApiError> {
    Ok(web::Json(view(&state, *id).await?))
}

pub async fn view(state: &AppState, id: i64) -> Result<JobView, ApiError> {
    store::find_job(&state.db, id).await?.ok_or_else(|| ApiError::NotFound(format!("no job {id}")))
}

/// The project's recent jobs, newest first (a late value, an import or a
/// rescore starts one; one at a time per project).
#[utoipa::path(
    tag = "index",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = Vec<JobView>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/projects/{code}/jobs")]
pub async fn list(state: web::Data<AppState>, code: web::Path<String>) -> Result<web::Json<Vec<JobView>>, ApiError> {
    let project = load_for_read(&state, &code).await?;
    Ok(web::Json(store::project_jobs(&state.db, project.id, 20).await?))
}
