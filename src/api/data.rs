//! Producers push metric values here.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, Problem};
use crate::domain::{FieldError, parse_value};
use crate::ingest::Push;
use crate::metrics::METRICS;
use crate::store::IndexResult;

/// Clocks drift; a timestamp further ahead than this is a producer bug that
/// would otherwise pin the "latest" value for good.
const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);

/// Values of one project at one time. POST one of these or an array of them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"project": "air", "ts": "2026-11-23T08:00:00Z", "values": {"pm25": 12.5, "co2": "415"}}))]
pub struct PushBody {
    pub project: String,
    /// When the values were observed, RFC 3339; defaults to now.
    pub ts: Option<String>,
    /// Indicator key to value: a number or a numeric string.
    #[schema(value_type = BTreeMap<String, f64>)]
    pub values: BTreeMap<String, Value>,
}

/// Push values and get the freshly computed index back.
///
/// The body is one object, or an array of objects stored in one transaction:
/// if any element is invalid nothing is stored.
#[utoipa::path(
    tag = "data",
    request_body = PushBody,
    responses(
        (status = 200, description = "Stored; the new result (an array of results for an array body)", body = IndexResult),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many values", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown project or indicator, or a bad value", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/data")]
pub async fn push(
    state: web::Data<AppState>,
    caller: super::Caller,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if super::compat::is_legacy_push(&body) {
        return Ok(super::compat::legacy_push(&state, &caller, body).await);
    }
    let (pushes, many) = match body {
        Value::Array(items) => {
            let pushes = items.into_iter().enumerate().map(|(i, v)| parse_push(v, &format!("[{i}]"))).collect();
            (collect(pushes)?, true)
        }
        one => (collect(vec![parse_push(one, "")])?, false),
    };
    if pushes.is_empty() {
        return Err(ApiError::invalid("body", "the array is empty; send at least one push"));
    }
    pushes.iter().try_for_each(|p| caller.may_use(&p.project))?;
    let count: usize = pushes.iter().map(|p| p.values.len()).sum();
    if count > state.settings.server.max_values_per_push {
        return Err(ApiError::TooLarge(format!(
            "{count} values in one request; the limit is {} ([server] max_values_per_push), split the batch",
            state.settings.server.max_values_per_push
        )));
    }
    let mut results = state.ingestor.ingest(pushes, "push").await?;
    METRICS.pushed(count);
    Ok(if many { HttpResponse::Ok().json(results) } else { HttpResponse::Ok().json(results.remove(0)) })
}

fn collect(parsed: Vec<Result<Push, Vec<FieldError>>>) -> Result<Vec<Push>, ApiError> {
    let mut errors = Vec::new();
    let mut pushes = Vec::new();
    for p in parsed {
        match p {
            Ok(p) => pushes.push(p),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() { Ok(pushes) } else { Err(ApiError::Invalid(errors)) }
}

/// An event time: RFC 3339, at most `MAX_CLOCK_SKEW` ahead of now.
pub fn parse_ts(ts: &str, field: &str) -> Result<DateTime<Utc>, FieldError> {
    match DateTime::parse_from_rfc3339(ts) {
        Ok(t) if t.with_timezone(&Utc) > Utc::now() + MAX_CLOCK_SKEW => {
            Err(FieldError::new(field, format!("{ts} is in the future; check the producer's clock")))
        }
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(e) => {
            Err(FieldError::new(field, format!("{ts:?} is not an RFC 3339 time such as 2026-11-23T08:00:00Z ({e})")))
        }
    }
}

/// `at` is this element's place in the request, e.g. `[2]`.
pub fn parse_push(v: Value, at: &str) -> Result<Push, Vec<FieldError>> {
    let field = |name: &str| if at.is_empty() { name.to_string() } else { format!("{at}.{name}") };
    let body: PushBody = serde_json::from_value(v).map_err(|e| {
        vec![FieldError::new(
            if at.is_empty() { "body" } else { at },
            format!("{e}; expected {{\"project\": \"code\", \"ts\": \"RFC 3339 (optional)\", \"values\": {{\"key\": number}}}}"),
        )]
    })?;
    let mut errors = Vec::new();
    let observed_at = body.ts.as_deref().and_then(|ts| parse_ts(ts, &field("ts")).map_err(|e| errors.push(e)).ok());
    if body.values.is_empty() {
        errors.push(FieldError::new(field("values"), "is empty; send at least one indicator value"));
    }
    let mut values = Vec::with_capacity(body.values.len());
    for (key, raw) in &body.values {
        match parse_value(raw) {
            Ok(v) => values.push((key.clone(), v)),
            Err(e) => errors.push(FieldError::new(field(&format!("values.{key}")), e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(Push { project: body.project, observed_at, values, at: at.to_string() })
    } else {
        Err(errors)
    }
}
