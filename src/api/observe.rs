//! Per-request metrics and the request id header.

use std::future::Future;
use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use tracing_actix_web::RequestId;

use crate::metrics::METRICS;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Records count and latency by route pattern, and echoes the id that every
/// log line of the request carries, so a client can quote it.
pub fn observe<S>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, Error>> + use<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<BoxBody>, Error = Error>,
{
    let started = Instant::now();
    let method = req.method().to_string();
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let response = srv.call(req);
    async move {
        let mut res = response.await?;
        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        METRICS.http(&method, &route, res.status().as_u16(), started.elapsed());
        if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            res.headers_mut().insert(REQUEST_ID.clone(), value);
        }
        Ok(res)
    }
}
