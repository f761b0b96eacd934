//! The original API's body, `{"code": 0, "message": "ok", "data": …}`, and
//! its errors. An error's `code` is the HTTP status it would have natively
//! (401 excepted, see `code_of`); whether the answer also carries that
//! status or 200 is `statuses`'s choice.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::api::ApiError;
use crate::domain::FieldError;
use crate::store::ProjectError;

/// A successful answer: `code` 0 and the payload in `data`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    #[schema(example = 0)]
    pub code: u16,
    #[schema(example = "ok")]
    pub message: String,
    pub data: T,
}

/// An answer without payload: every error (`code` = the native HTTP
/// status, 403 for a missing key) and the success of a delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct Bare {
    #[schema(example = 422)]
    pub code: u16,
    #[schema(
        example = "targets[0].weight: must be a finite number or a numeric string such as \"30.5\", got the string \"abc\""
    )]
    pub message: String,
    /// Always null.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

pub fn ok(data: impl Serialize) -> HttpResponse {
    HttpResponse::Ok().json(Envelope { code: 0, message: "ok".into(), data })
}

/// Original field names for the native ones, whole path first
/// (`mappings[0].path` → `object`), else per segment with its index kept
/// (`indicators[0].intervals[1]` → `targets[0].ranges[1]`).
pub struct Renames<'a> {
    pub fields: &'a [(&'a str, &'a str)],
    /// Whole words rewritten in messages too, where the native wording
    /// names fields (`start and end are both 5`).
    pub words: &'a [(&'a str, &'a str)],
}

impl Renames<'_> {
    fn field(&self, field: &str) -> String {
        if let Some((_, to)) = self.fields.iter().find(|(from, _)| *from == field) {
            return (*to).to_string();
        }
        let segments = field.split('.').map(|segment| {
            let (name, index) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
            let name = self.fields.iter().find(|(from, _)| *from == name).map_or(name, |(_, to)| to);
            format!("{name}{index}")
        });
        segments.collect::<Vec<_>>().join(".")
    }

    fn message(&self, message: &str) -> String {
        let mut out = String::with_capacity(message.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            let swapped = self.words.iter().find(|(from, _)| from == word).map_or(word.as_str(), |(_, to)| to);
            out.push_str(swapped);
            word.clear();
        };
        for c in message.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }

    /// `e` with its field errors (if any) in the original names.
    pub fn apply(&self, e: ApiError) -> CompatError {
        match e {
            ApiError::Invalid(errors) => invalid(
                errors.into_iter().map(|e| FieldError::new(self.field(&e.field), self.message(&e.message))).collect(),
            ),
            other => other.into(),
        }
    }
}

/// An error answered in the envelope with the status it would have natively.
#[derive(Debug)]
pub struct CompatError {
    status: StatusCode,
    message: String,
}

pub fn invalid(errors: Vec<FieldError>) -> CompatError {
    ApiError::Invalid(errors).into()
}

impl CompatError {
    pub fn new(status: StatusCode, message: String) -> Self {
        Self { status, message }
    }

    pub(crate) fn of(e: &ApiError) -> Self {
        if let ApiError::Unexpected(cause) = e {
            tracing::error!(error = ?cause, "request failed");
        }
        Self { status: e.status_code(), message: e.detail() }
    }
}

impl fmt::Display for CompatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ResponseError for CompatError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        let mut response =
            response.json(Bare { code: code_of(self.status), message: self.message.clone(), data: None });
        response.extensions_mut().insert(FacadeError);
        response
    }
}

/// Marks an answer as a façade error, whatever its path (the original push
/// shares `POST /v1/data` with the native one).
#[derive(Debug, Clone, Copy)]
pub struct FacadeError;

/// The SagooIOT UI takes `code` 401 for its own session expiring and logs
/// the user out of everything; a KOI key problem is not that.
pub fn code_of(status: StatusCode) -> u16 {
    match status {
        StatusCode::UNAUTHORIZED => StatusCode::FORBIDDEN.as_u16(),
        other => other.as_u16(),
    }
}

impl From<ApiError> for CompatError {
    fn from(e: ApiError) -> Self {
        Self::of(&e)
    }
}

impl From<DbErr> for CompatError {
    fn from(e: DbErr) -> Self {
        Self::of(&e.into())
    }
}

impl From<ProjectError> for CompatError {
    fn from(e: ProjectError) -> Self {
        Self::of(&e.into())
    }
}

/// Any extractor whose failure (malformed JSON, wrong content type, bad
/// query) is answered in the envelope instead of problem+json. The native
/// extractor configuration (size limit, messages) still applies.
pub struct Enveloped<T>(pub T);

impl<T> FromRequest for Enveloped<T>
where
    T: FromRequest + 'static,
    T::Future: 'static,
{
    type Error = CompatError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, CompatError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let extracting = T::from_request(req, payload);
        Box::pin(async move {
            extracting.await.map(Enveloped).map_err(|e| {
                let e: actix_web::Error = e.into();
                match e.as_error::<ApiError>() {
                    Some(api) => CompatError::of(api),
                    None => CompatError::new(e.as_response_error().status_code(), e.to_string()),
                }
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETUP: Renames = Renames {
        fields: &[("indicators", "targets"), ("intervals", "ranges"), ("code", "item_code"), ("url", "uri")],
        words: &[("min", "start_value"), ("indicators", "targets"), ("intervals", "ranges")],
    };

    #[test]
    fn fields_are_renamed_whole_or_per_segment_keeping_indexes() {
        assert_eq!(SETUP.field("indicators[0].intervals[1]"), "targets[0].ranges[1]");
        assert_eq!(SETUP.field("code"), "item_code");
        assert_eq!(SETUP.field("indicators[2].weight"), "targets[2].weight");
    }

    #[test]
    fn messages_swap_whole_words_only() {
        assert_eq!(
            SETUP.message("min (5) overlaps indicators[0].intervals[0]; minimum stays"),
            "start_value (5) overlaps targets[0].ranges[0]; minimum stays"
        );
    }
}
