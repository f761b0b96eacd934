//! API keys and roles: the middleware that decides who may call what.
//! Which role a route needs is in `policy`; handlers that find projects in
//! the body check them with the `Caller` this middleware leaves behind.

pub mod keys;
mod policy;
mod rate;

use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, web};
use sea_orm::DatabaseConnection;

use self::keys::KeyCache;
use self::policy::{Access, Scope};
use self::rate::RateLimiter;
use super::problem::ApiError;
use super::{AppState, compat};
use crate::config::Settings;
use crate::domain::Role;

/// Long enough to spare the database on busy keys, short enough that a key
/// revoked on another server stops working soon.
const KEY_CACHE_TTL: Duration = Duration::from_secs(5);

/// Who is calling: the projects the caller may touch. Handlers take it as
/// an extractor.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// Empty: every project (an unscoped key, or open mode).
    projects: Vec<String>,
    /// The key's role; `None` when keys are not required (anyone may do
    /// anything).
    role: Option<Role>,
}

impl Caller {
    /// The key's role, `None` when keys are not required.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// The projects this caller is limited to; empty: every project.
    pub fn projects(&self) -> &[String] {
        &self.projects
    }

    /// 403 unless the caller may touch `project`.
    pub fn may_use(&self, project: &str) -> Result<(), ApiError> {
        if self.projects.is_empty() || self.projects.iter().any(|p| p == project) {
            return Ok(());
        }
        Err(ApiError::Forbidden(format!(
            "this key is limited to the projects {:?}; project {project:?} needs another key",
            self.projects
        )))
    }
}

impl FromRequest for Caller {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req.extensions().get::<Caller>().cloned().unwrap_or_default()))
    }
}

/// The state the middleware needs: whether keys are required, verified
/// keys and rate buckets.
pub struct Gate {
    enabled: bool,
    keys: KeyCache,
    rate: RateLimiter,
}

impl Gate {
    pub fn new(settings: &Settings) -> Self {
        Self {
            enabled: settings.auth_enabled(),
            keys: KeyCache::new(KEY_CACHE_TTL),
            rate: RateLimiter::new(settings.auth.rate_limit_per_sec, settings.auth.rate_burst),
        }
    }

    /// Makes a revocation take effect at once in this process.
    pub fn forget(&self, key_id: i64) {
        self.keys.forget(key_id);
        self.rate.forget(key_id);
    }

    async fn admit(
        &self,
        db: &DatabaseConnection,
        headers: &HeaderMap,
        role: Option<Role>,
        scope: Scope,
    ) -> Result<Caller, ApiError> {
        if !self.enabled {
            return Ok(Caller::default());
        }
        let secret = presented_key(headers).ok_or_else(|| {
            let foreign = bearer(headers).is_some_and(|token| !keys::is_key(token));
            ApiError::Unauthorized(if foreign {
                "the Authorization bearer token is not a KOI key (those start with koi_), so it was ignored; \
                 send a KOI key as `X-API-Key: KEY`"
                    .into()
            } else {
                "send an API key as `Authorization: Bearer KEY` or `X-API-Key: KEY`".into()
            })
        })?;
        let key = self
            .keys
            .verify(db, secret)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("the API key is unknown or revoked".into()))?;
        if let Some(role) = role.filter(|needed| !key.role.grants(*needed)) {
            return Err(ApiError::Forbidden(format!(
                "this route needs a key with role {role}; this key is {}",
                key.role
            )));
        }
        self.rate.take(key.id).map_err(|wait| ApiError::TooManyRequests {
            detail: format!("key {} is over its rate limit ([auth] rate_limit_per_sec); slow down", key.prefix),
            retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
        })?;
        let caller = Caller { projects: key.projects, role: Some(key.role) };
        match scope {
            Scope::Project(code) => caller.may_use(&code)?,
            Scope::AllProjects if !caller.projects.is_empty() => {
                return Err(ApiError::Forbidden(
                    "this route spans every project; a key limited to some projects may not use it".into(),
                ));
            }
            Scope::AllProjects | Scope::Body => {}
        }
        Ok(caller)
    }
}

/// `Authorization: Bearer KEY` or `X-API-Key: KEY`. A bearer token that is
/// not a KOI key belongs to something else in front of KOI (the SagooIOT
/// UI sends its own session token on every call): it is passed over, so
/// that the proxy's `X-API-Key` decides.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let header = headers.get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
    bearer(headers).filter(|token| keys::is_key(token)).or(header).filter(|k| !k.is_empty())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| {
        let (scheme, token) = v.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    })
}

/// The middleware: refuses the request, or records its `Caller`.
pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Access::Key { role, scope } = policy::access(req.method(), req.path(), req.query_string()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let state = req.app_data::<web::Data<AppState>>().cloned().expect("AppState is registered on the app");
    match state.gate.admit(&state.db, req.headers(), role, scope).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(e) if compat::serves(req.path()) => Ok(req.into_response(compat::envelope_error(&e))),
        Err(e) => Ok(req.error_response(e)),
    }
}
