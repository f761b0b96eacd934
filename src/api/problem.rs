//! RFC 9457 problem details: the one error body of the API.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, RuntimeErr};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::ingest::IngestError;
use crate::store::ProjectError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[schema(example = "urn:koi:problem:validation")]
    pub r#type: String,
    #[schema(example = "Invalid request")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    #[schema(example = "indicators[0].weight: weight is a percentage and must be >= 0 and <= 1000000, got -5")]
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMedia(String),
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    #[error("{0}")]
    BadGateway(String),
    #[error("the database is unavailable")]
    Unavailable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Seconds a client should wait before retrying while the database is down.
const RETRY_AFTER_SECS: &str = "5";

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "Malformed request"),
            Self::Invalid(_) => ("validation", "Invalid request"),
            Self::Unauthorized(_) => ("unauthorized", "API key required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed for this key"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::TooLarge(_) => ("too-large", "Request too large"),
            Self::UnsupportedMedia(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            Self::BadGateway(_) => ("bad-gateway", "Source failed"),
            Self::Unavailable => ("unavailable", "Service unavailable"),
            Self::Unexpected(_) => ("internal", "Internal error"),
        }
    }

    pub(crate) fn detail(&self) -> String {
        match self {
            Self::Invalid(errors) => {
                errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            }
            Self::Unavailable => "the database cannot be reached; nothing was stored, retry later".into(),
            // The cause is logged, not shown: it may hold internals.
            Self::Unexpected(_) => "an unexpected error occurred; it has been logged".into(),
            other => other.to_string(),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unexpected(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
        let (slug, title) = self.kind();
        let status = self.status_code();
        let body = Problem {
            r#type: format!("urn:koi:problem:{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Invalid(errors) => errors.clone(),
                _ => Vec::new(),
            },
        };
        let mut response = HttpResponse::build(status);
        response.insert_header(ContentType("application/problem+json".parse().expect("static media type")));
        match self {
            Self::Unavailable => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
            }
            Self::TooManyRequests { retry_after_secs, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.json(body)
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        match e {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable,
            other if is_connection_lost(&other) => Self::Unavailable,
            other => Self::Unexpected(other.into()),
        }
    }
}

/// A query that fails because the server went away (or is going away) is an
/// outage, not a bug: the client should retry, and gets 503.
fn is_connection_lost(e: &DbErr) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let (DbErr::Query(RuntimeErr::SqlxError(cause)) | DbErr::Exec(RuntimeErr::SqlxError(cause))) = e else {
        return false;
    };
    match cause.as_ref() {
        Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        // SQLSTATE class 08: connection exception; 57P01-57P03: the server
        // is shutting down, crashed or still starting up.
        Sqlx::Database(db) => db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        other => {
            let text = other.to_string().to_lowercase();
            ["connection refused", "connection reset", "connection closed", "broken pipe", "unexpected eof"]
                .iter()
                .any(|needle| text.contains(needle))
        }
    }
}

impl From<ProjectError> for ApiError {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::NotFound => Self::NotFound("no such project".into()),
            ProjectError::IndicatorNotFound => Self::NotFound("no such indicator in this project".into()),
            ProjectError::Conflict => Self::Conflict(
                "a project with this code already exists; use PUT /v1/projects/{code} to replace it".into(),
            ),
            ProjectError::Db(e) => e.into(),
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Invalid(errors) => Self::Invalid(errors),
            IngestError::Db(e) => e.into(),
            IngestError::Stopped => Self::Unavailable,
        }
    }
}

pub fn project_not_found(code: &str) -> ApiError {
    ApiError::NotFound(format!("no project {code:?}; list projects with GET /v1/projects"))
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::Arc;

    use sea_orm::sqlx::Error as Sqlx;

    use super::*;

    fn status(e: DbErr) -> StatusCode {
        ApiError::from(e).status_code()
    }

    #[test]
    fn a_database_that_went_away_is_503_and_a_bad_query_is_500() {
        let io = |kind| Arc::new(Sqlx::Io(io::Error::from(kind)));
        let lost = [
            DbErr::Query(RuntimeErr::SqlxError(io(io::ErrorKind::ConnectionReset))),
            DbErr::Exec(RuntimeErr::SqlxError(io(io::ErrorKind::UnexpectedEof))),
            DbErr::Exec(RuntimeErr::SqlxError(Arc::new(Sqlx::PoolTimedOut))),
            DbErr::Conn(RuntimeErr::SqlxError(io(io::ErrorKind::ConnectionRefused))),
            DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout),
        ];
        for e in lost {
            assert_eq!(status(e), StatusCode::SERVICE_UNAVAILABLE);
        }
        let bug = DbErr::Query(RuntimeErr::SqlxError(Arc::new(Sqlx::ColumnNotFound("x".into()))));
        assert_eq!(status(bug), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status(DbErr::Custom("bug".into())), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
