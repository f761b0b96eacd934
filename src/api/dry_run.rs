//! `POST /v1/remote/test`: a dry run of a source's request and mappings.

use std::collections::BTreeMap;

use actix_web::{post, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, Problem};
use super::remote::reachable;
use crate::pull::{self, Mapping, SourceSpec};

/// A dry run: fetch a URL and apply mappings, storing nothing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestRequest {
    pub url: String,
    #[serde(default = "get_method")]
    pub method: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<Value>,
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    pub mappings: Vec<Mapping>,
}

fn get_method() -> String {
    "GET".into()
}

/// What a dry run extracted.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestOutcome {
    pub values: BTreeMap<String, f64>,
    pub errors: Vec<String>,
}

/// Dry-run a URL and mappings; nothing is stored.
#[utoipa::path(
    tag = "remote",
    request_body = TestRequest,
    responses(
        (status = 200, body = TestOutcome),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The source failed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/remote/test")]
pub async fn test(
    state: web::Data<AppState>,
    body: web::Json<TestRequest>,
) -> Result<web::Json<TestOutcome>, ApiError> {
    Ok(web::Json(dry_run(&state, body.into_inner()).await?))
}

/// Fetches and extracts without storing; shared with the original-KOI façade.
pub(crate) async fn dry_run(state: &AppState, mut req: TestRequest) -> Result<TestOutcome, ApiError> {
    let mut errors = pull::validate_request(&req.url, &req.method, &req.headers, req.timeout_ms, &mut req.mappings);
    if errors.is_empty() {
        errors.extend(reachable(state, &req.url).await);
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let spec = SourceSpec {
        project: String::new(),
        name: String::new(),
        url: req.url,
        method: req.method,
        headers: req.headers,
        body: req.body,
        schedule: String::new(),
        timeout_ms: req.timeout_ms,
        enabled: false,
        mappings: req.mappings,
    };
    let request = pull::request_of(&spec, state.settings.autopull.timeout_ms);
    let doc = state.fetcher.fetch_json(&request).await.map_err(|e| ApiError::BadGateway(e.to_string()))?;
    let (values, errors) = pull::extract(&doc, &spec.mappings);
    Ok(TestOutcome { values: values.into_iter().collect(), errors })
}
