//! Taking a server out of a proxy's rotation before it stops. nginx (and
//! most proxies) never retry a POST once it was sent, so a keep-alive
//! connection closed under a request that was already on its way fails that
//! push. While draining, every answer closes its connection and `/ready`
//! answers 503: the proxy opens its next connections to other servers, and
//! idle ones run out (nginx/koi.conf keeps them 4 s) before the listener
//! closes, at which point a refused connection is retried elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;

/// Whether the server is draining; shared by every worker thread.
#[derive(Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Closes the connection after each answer while draining (judged once the
/// answer is ready: a drain may start while a request runs).
pub async fn close_connections(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let mut res = next.call(req).await?;
    if state.is_some_and(|s| s.draining.is_on()) {
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}
