//! Turns actix's own extraction failures into problem responses, so a
//! malformed request gets the same helpful body as any other error.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{HttpRequest, HttpResponse, web};

use super::problem::ApiError;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _req| {
        match err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => ApiError::TooLarge(
                format!("the body is larger than {limit} bytes ([server] max_body_bytes); send smaller batches"),
            ),
            JsonPayloadError::ContentType => {
                ApiError::UnsupportedMedia("send the body as JSON with Content-Type: application/json".into())
            }
            JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::invalid("body", e.to_string()),
            other => ApiError::BadRequest(format!("the body is not valid JSON: {other}")),
        }
        .into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let QueryPayloadError::Deserialize(e) = &err else {
            return ApiError::BadRequest(err.to_string()).into();
        };
        ApiError::invalid("query", e.to_string()).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| ApiError::BadRequest(err.to_string()).into())
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route {} {}; the API is described at /openapi.json and browsable at /docs",
        req.method(),
        req.path()
    )))
}
