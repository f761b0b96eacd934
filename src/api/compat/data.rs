//! The original push body on `POST /v1/data`: one value of one indicator,
//! `{"itemcode", "name", "value", "form_info"}`. The native handler owns
//! the route and hands such bodies over here; they go through the same
//! `ingest` as native pushes.

use actix_web::{HttpResponse, ResponseError};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::envelope::{CompatError, invalid, ok};
use super::numbers::Loose;
use crate::api::{ApiError, AppState, Caller};
use crate::domain::FieldError;
use crate::ingest::{IngestError, Push};

/// One value pushed by an original producer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LegacyPush {
    /// The project's item code.
    pub itemcode: String,
    /// The indicator key.
    pub name: String,
    /// A number or a numeric string.
    #[schema(value_type = f64)]
    pub value: Loose,
    /// Accepted and ignored.
    #[serde(default)]
    #[expect(dead_code, reason = "declared so the OpenAPI document shows it; nothing uses it")]
    #[schema(value_type = Object)]
    pub form_info: Value,
}

/// Whether a `POST /v1/data` body is the original shape: native bodies
/// never have `itemcode` (they refuse unknown fields).
pub fn is_legacy_push(body: &Value) -> bool {
    body.as_object().is_some_and(|o| o.contains_key("itemcode"))
}

/// Stores the value; the new result, or the error, in the envelope.
pub async fn legacy_push(state: &AppState, caller: &Caller, body: Value) -> HttpResponse {
    match store(state, caller, body).await {
        Ok(response) => response,
        Err(e) => e.error_response(),
    }
}

async fn store(state: &AppState, caller: &Caller, body: Value) -> Result<HttpResponse, CompatError> {
    let push: LegacyPush = serde_json::from_value(body).map_err(|e| {
        invalid(vec![FieldError::new(
            "body",
            format!("{e}; expected {{\"itemcode\": \"code\", \"name\": \"indicator\", \"value\": number}}"),
        )])
    })?;
    caller.may_use(&push.itemcode)?;
    let mut errors = Vec::new();
    let value = push.value.number("value", &mut errors);
    let Some(value) = value else { return Err(invalid(errors)) };
    let native =
        Push { project: push.itemcode, observed_at: None, values: vec![(push.name, value)], at: String::new() };
    match state.ingestor.ingest(vec![native], "push").await {
        Ok(mut results) => Ok(ok(results.remove(0))),
        // The only fields ingest names are the project and the value's key.
        Err(IngestError::Invalid(errors)) => Err(invalid(
            errors
                .into_iter()
                .map(|e| FieldError::new(if e.field == "project" { "itemcode" } else { "name" }, e.message))
                .collect(),
        )),
        Err(other) => Err(ApiError::from(other).into()),
    }
}
