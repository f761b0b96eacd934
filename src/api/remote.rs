//! Pull sources: `/v1/remote`.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
pub(crate) use super::dry_run::{TestRequest, dry_run};
use super::problem::{ApiError, Problem, project_not_found};
use crate::domain::FieldError;
use crate::pull::{self, PullOutcome, REDACTED, Schedule, SourceSpec};
use crate::store::{self, Page, Source};

/// A pull source as the API shows it: header values are never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceView {
    pub id: i64,
    #[serde(flatten)]
    pub spec: SourceSpec,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_values: Option<BTreeMap<String, f64>>,
    pub consecutive_failures: i32,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Source> for SourceView {
    fn from(s: Source) -> Self {
        let mut spec = s.spec;
        spec.headers.values_mut().for_each(|v| *v = REDACTED.into());
        Self {
            id: s.id,
            spec,
            last_run_at: s.last_run_at,
            last_success_at: s.last_success_at,
            last_error: s.last_error,
            last_values: s.last_values,
            consecutive_failures: s.consecutive_failures,
            next_run_at: s.next_run_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SourceListParams {
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List pull sources with their status.
#[utoipa::path(tag = "remote", params(SourceListParams), responses((status = 200, body = Page<SourceView>)))]
#[get("/v1/remote")]
pub async fn list(
    state: web::Data<AppState>,
    params: web::Query<SourceListParams>,
) -> Result<web::Json<Page<SourceView>>, ApiError> {
    let limit = super::params::limit(params.limit)?;
    let after = match params.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| ApiError::invalid("cursor", "pass next_cursor of the previous page unchanged"))?,
        ),
    };
    let sources = store::list_sources(&state.db, limit + 1, after).await?;
    Ok(web::Json(Page::cut(sources, limit, |s| s.id.to_string(), Into::into)))
}

/// Create a pull source.
#[utoipa::path(
    tag = "remote",
    request_body = SourceSpec,
    responses(
        (status = 201, body = SourceView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/remote")]
pub async fn create(state: web::Data<AppState>, body: web::Json<SourceSpec>) -> Result<HttpResponse, ApiError> {
    let source = create_source(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(SourceView::from(source)))
}

/// Validates and stores a new source; shared with the original-KOI façade.
pub(crate) async fn create_source(state: &AppState, mut spec: SourceSpec) -> Result<Source, ApiError> {
    let project_id = checked(state, &mut spec).await?;
    let next = first_run(&spec);
    Ok(store::insert_source(&state.db, project_id, &spec, next).await?)
}

/// Read one source with its status.
#[utoipa::path(
    tag = "remote",
    params(("id" = i64, Path, description = "Source id")),
    responses((status = 200, body = SourceView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/remote/{id}")]
pub async fn get(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<SourceView>, ApiError> {
    Ok(web::Json(load(&state, *id).await?.into()))
}

/// Replace a source's configuration. A header sent as `***` keeps its
/// stored value.
#[utoipa::path(
    tag = "remote",
    params(("id" = i64, Path, description = "Source id")),
    request_body = SourceSpec,
    responses(
        (status = 200, body = SourceView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/remote/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: web::Json<SourceSpec>,
) -> Result<web::Json<SourceView>, ApiError> {
    let stored = load(&state, *id).await?;
    Ok(web::Json(replace_source(&state, &stored, body.into_inner()).await?.into()))
}

/// Validates and stores a new configuration for `stored`, keeping its run
/// status; shared with the original-KOI façade.
pub(crate) async fn replace_source(
    state: &AppState,
    stored: &Source,
    mut spec: SourceSpec,
) -> Result<Source, ApiError> {
    for (name, value) in spec.headers.iter_mut() {
        if value == REDACTED
            && let Some(kept) = stored.spec.headers.get(name)
        {
            value.clone_from(kept);
        }
    }
    let project_id = checked(state, &mut spec).await?;
    let next = if spec.schedule == stored.spec.schedule && stored.next_run_at.is_some() {
        stored.next_run_at
    } else {
        first_run(&spec)
    };
    store::update_source(&state.db, stored.id, project_id, &spec, next).await?.ok_or_else(|| not_found(stored.id))
}

/// Delete a source (its stored observations stay).
#[utoipa::path(
    tag = "remote",
    params(("id" = i64, Path, description = "Source id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/v1/remote/{id}")]
pub async fn remove(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    if store::delete_source(&state.db, *id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found(*id))
    }
}

/// Pull a source now: fetch, extract, store, compute.
#[utoipa::path(
    tag = "remote",
    params(("id" = i64, Path, description = "Source id")),
    responses(
        (status = 200, description = "Pulled; `errors` lists mappings that gave no value", body = PullOutcome),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The source failed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/remote/{id}/pull")]
pub async fn pull_now(state: web::Data<AppState>, id: web::Path<i64>) -> Result<web::Json<PullOutcome>, ApiError> {
    let source = load(&state, *id).await?;
    let outcome =
        pull::pull_source(&state.ingestor, &state.fetcher, state.settings.autopull.timeout_ms, &source, None).await?;
    if !outcome.reached {
        return Err(ApiError::BadGateway(outcome.errors.join("; ")));
    }
    Ok(web::Json(outcome))
}

/// Validates the spec and that its project and indicators exist; returns
/// the project id.
async fn checked(state: &AppState, spec: &mut SourceSpec) -> Result<i64, ApiError> {
    let mut errors = spec.validate();
    if !errors.iter().any(|e| e.field == "url") {
        errors.extend(reachable(state, &spec.url).await);
    }
    let project = store::find_project(&state.db, &spec.project).await?;
    match &project {
        None => errors.push(FieldError::new("project", project_not_found(&spec.project).to_string())),
        Some(p) => {
            for (i, m) in spec.mappings.iter().enumerate() {
                if !p.indicators.iter().any(|ind| ind.key == m.indicator) {
                    errors.push(FieldError::new(
                        format!("mappings[{i}].indicator"),
                        format!("project {:?} has no indicator {:?}", p.code, m.indicator),
                    ));
                }
            }
        }
    }
    match project {
        Some(p) if errors.is_empty() => Ok(p.id),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// Refuses, when it is written, a URL that the pull worker would refuse.
pub(super) async fn reachable(state: &AppState, url: &str) -> Option<FieldError> {
    state.fetcher.vet(url).await.err().map(|denied| FieldError::new("url", denied.to_string()))
}

fn first_run(spec: &SourceSpec) -> Option<DateTime<Utc>> {
    spec.schedule.parse::<Schedule>().ok()?.next_after(None, Utc::now())
}

async fn load(state: &AppState, id: i64) -> Result<Source, ApiError> {
    store::find_source(&state.db, id).await?.ok_or_else(|| not_found(id))
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("no pull source {id}; list them with GET /v1/remote"))
}
