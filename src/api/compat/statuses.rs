//! Which HTTP status façade errors are sent with: 200, as the original
//! service did (its client reads `message` only from a 2xx answer), unless
//! `[compat] http_error_status` asks for the real one. Also wraps the
//! router's own refusals on façade paths (unknown sub-path, wrong method),
//! which would otherwise reach the client without the envelope.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use super::envelope::{CompatError, FacadeError};
use crate::api::AppState;

pub async fn statuses(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let real_status = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.settings.compat.http_error_status);
    let facade_path = super::serves(req.path());
    let (method, path) = (req.method().clone(), req.path().to_string());
    let mut res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let enveloped = res.response().extensions().contains::<FacadeError>();
    if !enveloped && facade_path {
        let message = match status {
            StatusCode::NOT_FOUND => format!("{method} {path} is not a route of the original API; see /docs"),
            StatusCode::METHOD_NOT_ALLOWED => format!("{path} does not take {method}; see /docs for its methods"),
            other => other.canonical_reason().unwrap_or("the request failed").to_string(),
        };
        let (req, _) = res.into_parts();
        res = ServiceResponse::new(req, CompatError::new(status, message).error_response());
    }
    if (enveloped || facade_path) && !real_status {
        let response = res.response_mut();
        *response.status_mut() = StatusCode::OK;
        // A challenge on a success status would only confuse clients.
        response.headers_mut().remove(header::WWW_AUTHENTICATE);
    }
    Ok(res)
}
