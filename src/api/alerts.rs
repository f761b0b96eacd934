//! Alert rules of a project, the alerts they raised, and their history.

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::RangeParams;
use super::problem::{ApiError, Problem};
use super::projects::{load, load_for_read};
use super::{AppState, Caller};
use crate::domain::{Phase, RuleSpec, Severity};
use crate::store::{self, ActiveAlert, AlertEvent, AlertFilter, AlertRule, Page, Project};

/// Add an alert rule to a project.
///
/// It is judged at once, after every computation of the project and by the
/// periodic sweep (`[alerts] sweep_ms`).
#[utoipa::path(
    tag = "alerts",
    params(("code" = String, Path, description = "Project code")),
    request_body = RuleSpec,
    responses(
        (status = 201, body = AlertRule),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rule; each error names its field", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/projects/{code}/alerts")]
pub async fn create(
    state: web::Data<AppState>,
    code: web::Path<String>,
    spec: web::Json<RuleSpec>,
) -> Result<HttpResponse, ApiError> {
    let project = load(&state, &code).await?;
    check(&state, &project, &spec).await?;
    let id = store::insert_rule(&state.db, project.id, &spec).await?;
    state.alerting.evaluate(&code, None).await;
    Ok(HttpResponse::Created().json(find(&state, &project, id).await?))
}

/// The project's alert rules, oldest first.
#[utoipa::path(
    tag = "alerts",
    params(("code" = String, Path, description = "Project code")),
    responses((status = 200, body = Vec<AlertRule>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/projects/{code}/alerts")]
pub async fn list(state: web::Data<AppState>, code: web::Path<String>) -> Result<web::Json<Vec<AlertRule>>, ApiError> {
    let project = load_for_read(&state, &code).await?;
    Ok(web::Json(store::project_rules(&state.db, &code, project.id, false).await?))
}

/// The project's alert transitions (pending, firing, resolved, inactive),
/// oldest first unless `order=desc`.
#[utoipa::path(
    tag = "alerts",
    params(("code" = String, Path, description = "Project code"), RangeParams),
    responses(
        (status = 200, body = Page<AlertEvent>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/projects/{code}/alerts/history")]
pub async fn history(
    state: web::Data<AppState>,
    code: web::Path<String>,
    range: web::Query<RangeParams>,
) -> Result<web::Json<Page<AlertEvent>>, ApiError> {
    let page = range.page()?;
    let project = load_for_read(&state, &code).await?;
    Ok(web::Json(store::alert_history(&state.db, project.id, &page).await?))
}

/// One alert rule.
#[utoipa::path(
    tag = "alerts",
    params(("code" = String, Path, description = "Project code"), ("id" = i64, Path, description = "Rule id")),
    responses((status = 200, body = AlertRule), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/projects/{code}/alerts/{id}")]
pub async fn get(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result<web::Json<AlertRule>, ApiError> {
    let (code, id) = path.into_inner();
    let project = load(&state, &code).await?;
    Ok(web::Json(find(&state, &project, id).await?))
}

/// Replace an alert rule; its alerts keep their state and are judged by
/// the new rule at once (a disabled rule's alerts resolve).
#[utoipa::path(
    tag = "alerts",
    params(("code" = String, Path, description = "Project code"), ("id" = i64, Path, description = "Rule id")),
    request_body = RuleSpec,
    responses(
        (status = 200, body = AlertRule),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/projects/{code}/alerts/{id}")]
pub async fn replace(
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    spec: web::Json<RuleSpec>,
) -> Result<web::Json<AlertRule>, ApiError> {
    let (code, id) = path.into_inner();
    let project = load(&state, &code).await?;
    check(&state, &project, &spec).await?;
    if !store::replace_rule(&state.db, project.id, id, &spec).await? {
        return Err(no_rule(&code, id));
    }
    state.alerting.evaluate(&code, None).await;
    Ok(web::Json(find(&state, &project, id).await?))
}

/// Delete an alert rule and its alerts (their history stays). Receivers
/// are not told: Alertmanager lets a firing alert expire after
/// 4 × `[alerts] resend_secs`.
#[utoipa::path(
    tag = "alerts",
    params(("code" = String, Path, description = "Project code"), ("id" = i64, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/v1/projects/{code}/alerts/{id}")]
pub async fn remove(state: web::Data<AppState>, path: web::Path<(String, i64)>) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    let project = load(&state, &code).await?;
    if !store::delete_rule(&state.db, project.id, id).await? {
        return Err(no_rule(&code, id));
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActiveQuery {
    /// `pending` or `firing`; default both.
    pub state: Option<String>,
    /// A project code.
    pub project: Option<String>,
    /// `critical`, `warning` or `info`.
    pub severity: Option<String>,
}

/// Pending and firing alerts across projects (a key limited to some
/// projects sees theirs), oldest first.
#[utoipa::path(
    tag = "alerts",
    params(ActiveQuery),
    responses((status = 200, body = Vec<ActiveAlert>), (status = 422, body = Problem, content_type = "application/problem+json"))
)]
#[get("/v1/alerts")]
pub async fn active(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ActiveQuery>,
) -> Result<web::Json<Vec<ActiveAlert>>, ApiError> {
    let query = query.into_inner();
    let phase = match query.state.as_deref().map(|s| (s, Phase::parse(s))) {
        None => None,
        Some((_, Some(p @ (Phase::Pending | Phase::Firing)))) => Some(p),
        Some((other, _)) => {
            return Err(ApiError::invalid("state", format!("must be pending or firing, got {other:?}")));
        }
    };
    if let Some(other) = query.severity.as_deref().filter(|s| Severity::parse(s).is_none()) {
        return Err(ApiError::invalid("severity", format!("must be critical, warning or info, got {other:?}")));
    }
    if let Some(code) = &query.project {
        caller.may_use(code)?;
    }
    let filter = AlertFilter {
        state: phase,
        project: query.project,
        severity: query.severity,
        projects: caller.projects().to_vec(),
    };
    Ok(web::Json(store::active_alerts(&state.db, &filter).await?))
}

/// The rule's own checks, then those that need the project and its sources.
async fn check(state: &AppState, project: &Project, spec: &RuleSpec) -> Result<(), ApiError> {
    let keys: Vec<String> = project.indicators.iter().map(|i| i.key.clone()).collect();
    let mut errors = spec.validate(&keys);
    if let Some(id) = spec.condition.source() {
        let owned = store::find_source(&state.db, id).await?.is_some_and(|s| s.project_id == project.id);
        if !owned {
            errors.push(crate::domain::FieldError::new(
                "source",
                format!("project {:?} has no source {id}; list them with GET /v1/remote", project.code),
            ));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(errors)) }
}

async fn find(state: &AppState, project: &Project, id: i64) -> Result<AlertRule, ApiError> {
    store::find_rule(&state.db, &project.code, project.id, id).await?.ok_or_else(|| no_rule(&project.code, id))
}

fn no_rule(code: &str, id: i64) -> ApiError {
    ApiError::NotFound(format!(
        "project {code:?} has no alert rule {id}; list them with GET /v1/projects/{code}/alerts"
    ))
}
