//! Admin endpoints: projects and their indicators.

use std::sync::Arc;

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::problem::{ApiError, Problem, project_not_found};
use crate::domain::{FieldError, IndicatorSpec, MissingPolicy, ProjectSpec, new_code, weight_sum};
use crate::store::{self, Page, Project};

/// A project as the API returns it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProjectView {
    pub code: String,
    pub title: String,
    pub description: String,
    /// Bumped by every configuration change.
    pub revision: i64,
    /// Sum of indicator weights; usually meant to be 100.
    pub weight_sum: f64,
    pub missing_policy: MissingPolicy,
    pub indicators: Vec<IndicatorSpec>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Project> for ProjectView {
    fn from(p: Project) -> Self {
        Self {
            weight_sum: weight_sum(&p.indicators),
            code: p.code,
            title: p.title,
            description: p.description,
            revision: p.revision,
            missing_policy: p.missing_policy,
            indicators: p.indicators,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1 to 1000 (default 100).
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Create a project with its indicators.
#[utoipa::path(
    tag = "projects",
    request_body = ProjectSpec,
    responses(
        (status = 201, description = "Created", body = ProjectView),
        (status = 409, description = "Code already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid project", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    body: web::Json<ProjectSpec>,
) -> Result<HttpResponse, ApiError> {
    let mut spec = body.into_inner();
    let mut errors = spec.validate();
    errors.extend(too_many_indicators(&state, spec.indicators.len()));
    reject_invalid(errors)?;
    spec.code.get_or_insert_with(new_code);
    let project = store::create_project(&state.db, &spec).await?;
    state.projects.clear();
    Ok(HttpResponse::Created().json(ProjectView::from(project)))
}

/// List projects ordered by code.
#[utoipa::path(tag = "projects", params(ListParams), responses((status = 200, body = Page<ProjectView>)))]
#[get("/v1/projects")]
pub async fn list_projects(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> Result<web::Json<Page<ProjectView>>, ApiError> {
    let limit = super::params::limit(params.limit)?;
    let projects = store::list_projects(&state.db, limit + 1, params.cursor.as_deref()).await?;
    Ok(web::Json(Page::cut(projects, limit, |p| p.code.clone(), Into::into)))
}

/// Read one project.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code")),
    responses(
        (status = 200, body = ProjectView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/projects/{code}")]
pub async fn get_project(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<web::Json<ProjectView>, ApiError> {
    Ok(web::Json(load(&state, &code).await?.into()))
}

/// Replace a project and all its indicators (creates it if absent).
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code")),
    request_body = ProjectSpec,
    responses(
        (status = 200, description = "Replaced", body = ProjectView),
        (status = 201, description = "Created", body = ProjectView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/projects/{code}")]
pub async fn replace_project(
    state: web::Data<AppState>,
    code: web::Path<String>,
    body: web::Json<ProjectSpec>,
) -> Result<HttpResponse, ApiError> {
    let spec = body.into_inner();
    check_replacement(&state, &spec, &code)?;
    super::params::path_slug("code", &code)?;
    let (project, created) = store::replace_project(&state.db, &code, &spec).await?;
    state.projects.clear();
    let status = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(with_status(status, project))
}

/// Validates a full project body sent for the project `code` (a PUT or a
/// what-if preview).
pub(crate) fn check_replacement(state: &AppState, spec: &ProjectSpec, code: &str) -> Result<(), ApiError> {
    let mut errors = spec.validate();
    errors.extend(too_many_indicators(state, spec.indicators.len()));
    if spec.code.as_ref().is_some_and(|c| c != code) {
        errors.push(FieldError::new("code", "must match the code in the URL, or be left out"));
    }
    reject_invalid(errors)
}

/// Delete a project with its history.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/v1/projects/{code}")]
pub async fn delete_project(state: web::Data<AppState>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let deleted = store::delete_project(&state.db, &code).await?;
    state.projects.clear();
    if deleted { Ok(HttpResponse::NoContent().finish()) } else { Err(project_not_found(&code)) }
}

/// Add or replace one indicator; returns the whole project.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code"), ("key" = String, Path, description = "Indicator key")),
    request_body = IndicatorSpec,
    responses(
        (status = 200, description = "Replaced", body = ProjectView),
        (status = 201, description = "Added", body = ProjectView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/projects/{code}/indicators/{key}")]
pub async fn upsert_indicator(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let (code, key) = path.into_inner();
    let mut raw = body.into_inner();
    // The key comes from the URL; a body key, if any, must agree with it.
    if let Some(obj) = raw.as_object_mut() {
        match obj.get("key").and_then(|k| k.as_str()) {
            Some(k) if k != key => {
                return Err(ApiError::invalid("key", "must match the key in the URL, or be left out"));
            }
            _ => obj.insert("key".into(), key.clone().into()),
        };
    }
    // A well-formed body of the wrong shape is invalid, as with every other
    // JSON body: 422, not 400.
    let spec: IndicatorSpec = serde_json::from_value(raw).map_err(|e| ApiError::invalid("body", e.to_string()))?;
    reject_invalid(spec.validate(""))?;
    if let Some(stored) = store::find_project(&state.db, &code).await?
        && !stored.indicators.iter().any(|i| i.key == key)
    {
        reject_invalid(too_many_indicators(&state, stored.indicators.len() + 1).into_iter().collect())?;
    }
    let (project, created) =
        store::upsert_indicator(&state.db, &code, &spec).await.map_err(|e| not_found_as(e, &code))?;
    state.projects.clear();
    let status = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(with_status(status, project))
}

/// Remove one indicator; returns the whole project.
#[utoipa::path(
    tag = "projects",
    params(("code" = String, Path, description = "Project code"), ("key" = String, Path, description = "Indicator key")),
    responses((status = 200, body = ProjectView), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/v1/projects/{code}/indicators/{key}")]
pub async fn remove_indicator(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<web::Json<ProjectView>, ApiError> {
    let (code, key) = path.into_inner();
    let project = store::remove_indicator(&state.db, &code, &key).await.map_err(|e| match e {
        store::ProjectError::IndicatorNotFound => {
            ApiError::NotFound(format!("project {code:?} has no indicator {key:?}"))
        }
        other => not_found_as(other, &code),
    })?;
    state.projects.clear();
    Ok(web::Json(project.into()))
}

/// The project named in the URL, or a 404 that says so.
pub async fn load(state: &AppState, code: &str) -> Result<Project, ApiError> {
    store::find_project(&state.db, code).await?.ok_or_else(|| project_not_found(code))
}

/// The project named in the URL for a read endpoint: possibly up to a
/// second old (see `ProjectCache`).
pub async fn load_for_read(state: &AppState, code: &str) -> Result<Arc<Project>, ApiError> {
    state.projects.get(&state.db, code).await?.ok_or_else(|| project_not_found(code))
}

/// Scoring and every push read all of a project's indicators, so their
/// number is bounded ([server] max_indicators_per_project).
pub(crate) fn too_many_indicators(state: &AppState, count: usize) -> Option<FieldError> {
    let max = state.settings.server.max_indicators_per_project;
    (count > max).then(|| {
        FieldError::new(
            "indicators",
            format!("{count} indicators; a project may have at most {max} ([server] max_indicators_per_project)"),
        )
    })
}

fn not_found_as(e: store::ProjectError, code: &str) -> ApiError {
    match e {
        store::ProjectError::NotFound => project_not_found(code),
        other => other.into(),
    }
}

fn reject_invalid(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(errors)) }
}

fn with_status(mut status: actix_web::HttpResponseBuilder, project: Project) -> HttpResponse {
    status.json(ProjectView::from(project))
}
