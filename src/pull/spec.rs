use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{Mapping, Schedule, normalize_path};
use crate::domain::FieldError;

/// Shown instead of every header value; sent back unchanged in a PUT it
/// keeps the stored value.
pub const REDACTED: &str = "***";

const MAX_TIMEOUT_MS: u64 = 60_000;
/// Generous for real endpoints, small enough that a source row stays small.
const MAX_URL: usize = 2048;
const MAX_HEADERS: usize = 32;
const MAX_HEADER_NAME: usize = 256;
const MAX_HEADER_VALUE: usize = 8192;

/// A pull source as an admin writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    #[schema(example = "air")]
    pub project: String,
    #[serde(default)]
    #[schema(example = "station 12")]
    pub name: String,
    #[schema(example = "https://sensors.example.com/api/station/12")]
    pub url: String,
    /// `GET` (default) or `POST`.
    #[serde(default = "default_method")]
    pub method: String,
    /// Sent with every request (e.g. `Authorization`); stored, never shown.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON body for `POST`.
    #[serde(default)]
    pub body: Option<Value>,
    /// Cron with seconds (`0 */5 * * * *`), 5-field cron, `@hourly`... or `@every 30s`.
    #[schema(example = "@every 30s")]
    pub schedule: String,
    /// Per-request timeout; `[autopull] timeout_ms` when absent.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub mappings: Vec<Mapping>,
}

fn default_method() -> String {
    "GET".into()
}

fn enabled() -> bool {
    true
}

/// Checks a source's request and mappings; paths come back as JSONPath.
/// Whether the project and indicators exist is the caller's check.
pub fn validate_request(
    url: &str,
    method: &str,
    headers: &BTreeMap<String, String>,
    timeout_ms: Option<u64>,
    mappings: &mut [Mapping],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    match reqwest::Url::parse(url) {
        _ if url.len() > MAX_URL => errors.push(FieldError::new("url", format!("must be at most {MAX_URL} bytes"))),
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            errors.push(FieldError::new("url", format!("scheme {:?} is not allowed; use http or https", u.scheme())))
        }
        Ok(u) if u.host_str().is_none() => errors.push(FieldError::new("url", "has no host")),
        Ok(_) => {}
        Err(e) => errors.push(FieldError::new("url", format!("{url:?} is not a URL ({e})"))),
    }
    if !matches!(method, "GET" | "POST") {
        errors.push(FieldError::new("method", format!("must be GET or POST, got {method:?}")));
    }
    if headers.len() > MAX_HEADERS {
        errors.push(FieldError::new("headers", format!("at most {MAX_HEADERS} headers")));
    }
    for (name, value) in headers {
        if name.len() > MAX_HEADER_NAME || value.len() > MAX_HEADER_VALUE {
            errors.push(FieldError::new(
                format!("headers.{name}"),
                format!("names may have {MAX_HEADER_NAME} bytes and values {MAX_HEADER_VALUE} at most"),
            ));
        } else if HeaderName::try_from(name.as_str()).is_err() {
            errors.push(FieldError::new(format!("headers.{name}"), "is not a valid HTTP header name"));
        } else if HeaderValue::try_from(value.as_str()).is_err() {
            errors.push(FieldError::new(format!("headers.{name}"), "has characters not allowed in a header value"));
        }
    }
    if let Some(t) = timeout_ms
        && !(1..=MAX_TIMEOUT_MS).contains(&t)
    {
        errors.push(FieldError::new("timeout_ms", format!("must be between 1 and {MAX_TIMEOUT_MS}, got {t}")));
    }
    if mappings.is_empty() {
        errors.push(FieldError::new("mappings", "is empty; map at least one indicator to a path"));
    }
    for (i, m) in mappings.iter_mut().enumerate() {
        match normalize_path(&m.path) {
            Ok(path) => m.path = path,
            Err(e) => errors.push(FieldError::new(format!("mappings[{i}].path"), e)),
        }
    }
    errors
}

impl SourceSpec {
    /// Validates everything but the project's existence; normalises paths.
    pub fn validate(&mut self) -> Vec<FieldError> {
        let mut errors = validate_request(&self.url, &self.method, &self.headers, self.timeout_ms, &mut self.mappings);
        if let Err(e) = self.schedule.parse::<Schedule>() {
            errors.push(FieldError::new("schedule", e));
        }
        if self.name.chars().count() > 200 {
            errors.push(FieldError::new("name", "must be at most 200 characters"));
        }
        if self.body.is_some() && self.method != "POST" {
            errors.push(FieldError::new("body", "is only sent with method POST"));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SourceSpec {
        serde_json::from_value(serde_json::json!({
            "project": "p", "url": "http://127.0.0.1:9/x", "schedule": "@every 30s",
            "mappings": [{"indicator": "a", "path": "data.a"}]
        }))
        .unwrap()
    }

    #[test]
    fn a_minimal_source_is_valid_and_its_paths_become_jsonpath() {
        let mut s = spec();
        assert!(s.validate().is_empty());
        assert_eq!(s.mappings[0].path, "$.data.a");
        assert_eq!((s.method.as_str(), s.enabled), ("GET", true));
    }

    #[test]
    fn each_bad_field_is_named() {
        let mut s = spec();
        s.url = "ftp://host/x".into();
        s.method = "DELETE".into();
        s.schedule = "sometimes".into();
        s.timeout_ms = Some(0);
        s.headers.insert("bad header".into(), "v".into());
        s.mappings[0].path = "a..b".into();
        s.headers.insert("x-long".into(), "v".repeat(MAX_HEADER_VALUE + 1));
        let fields: Vec<String> = s.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["url", "method", "headers.bad header", "headers.x-long", "timeout_ms", "mappings[0].path", "schedule"]
        );
    }
}
