use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::guard::{Denied, GuardedResolver, HostPolicy};
use crate::config::AutopullSettings;

/// One HTTP request to a source.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub method: Method,
    /// Secret values: never logged, never part of an error message.
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FetchError {
    #[error("no response within {0} ms (timeout_ms)")]
    Timeout(u128),
    #[error("cannot reach the source: {0}")]
    Connect(String),
    #[error("the source answered HTTP {status}{hint}")]
    Status { status: u16, hint: String },
    #[error("the response is larger than {0} bytes ([autopull] max_body_bytes)")]
    TooLarge(usize),
    #[error("the response is not JSON: {0}")]
    NotJson(String),
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("not connecting: {0}")]
    Denied(String),
}

/// Longest `Retry-After` we wait inside one pull; longer waits are left to
/// the next scheduled run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 5;

enum Failure {
    Retryable(FetchError, Option<Duration>),
    Final(FetchError),
}

#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    hosts: Arc<HostPolicy>,
    max_body: usize,
    max_retries: u32,
    retry_base: Duration,
}

impl Fetcher {
    pub fn new(settings: &AutopullSettings) -> Self {
        let hosts = Arc::new(HostPolicy::new(settings));
        let hops = hosts.clone();
        // Each hop is checked before it is followed: names by the resolver,
        // IP literals here (reqwest does not resolve those).
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            match hops.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(denied) => attempt.error(denied),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(concat!("koi/", env!("CARGO_PKG_VERSION")))
            .redirect(redirects)
            .dns_resolver(GuardedResolver(hosts.clone()))
            // A proxy would resolve and connect on our behalf, past the checks.
            .no_proxy()
            .connect_timeout(Duration::from_millis(settings.timeout_ms))
            .build()
            .expect("the HTTP client builds with static settings");
        Self {
            client,
            hosts,
            max_body: settings.max_body_bytes,
            max_retries: settings.max_retries,
            retry_base: Duration::from_millis(settings.retry_base_ms),
        }
    }

    /// Fetches and parses JSON, retrying connect errors, 429 and 5xx with
    /// exponential backoff and jitter (or the source's `Retry-After`).
    pub async fn fetch_json(&self, req: &Request) -> Result<Value, FetchError> {
        let mut attempt = 0;
        loop {
            match self.attempt(req).await {
                Ok(doc) => return Ok(doc),
                Err(Failure::Retryable(err, wait)) if attempt < self.max_retries => {
                    let wait = wait.unwrap_or_else(|| self.backoff(attempt));
                    tracing::debug!(attempt, error = %err, wait_ms = wait.as_millis() as u64, "retrying source");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(Failure::Retryable(err, _) | Failure::Final(err)) => return Err(err),
            }
        }
    }

    /// Refuses a URL whose host resolves only to addresses sources may not
    /// reach, naming the setting that would allow it.
    pub async fn vet(&self, url: &str) -> Result<(), Denied> {
        match reqwest::Url::parse(url) {
            Ok(url) => self.hosts.vet(&url).await,
            Err(_) => Ok(()),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let full = self.retry_base.saturating_mul(2u32.saturating_pow(attempt));
        // Jitter in [50%, 100%] keeps many failing sources from retrying in step.
        full.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    /// Sends `req` once, under the same address rules as pulls, and wants
    /// a 2xx answer, whatever its body: for notifications (webhooks),
    /// whose retries are the caller's.
    pub async fn deliver(&self, req: &Request) -> Result<(), FetchError> {
        self.respond(req).await.map(drop).map_err(|(Failure::Retryable(e, _) | Failure::Final(e))| e)
    }

    async fn respond(&self, req: &Request) -> Result<reqwest::Response, Failure> {
        let url =
            reqwest::Url::parse(&req.url).map_err(|e| Failure::Final(FetchError::Invalid(format!("URL: {e}"))))?;
        self.hosts.check_url(&url).map_err(|Denied(why)| Failure::Final(FetchError::Denied(why)))?;
        let mut builder = self.client.request(req.method.clone(), &req.url).timeout(req.timeout).headers(headers(req)?);
        if let Some(body) = &req.body {
            builder = builder.header("content-type", "application/json").body(body.clone());
        }
        let response = builder.send().await.map_err(|e| self.transport(e, req))?;
        let status = response.status();
        if !status.is_success() {
            return Err(status_failure(status, response.headers()));
        }
        Ok(response)
    }

    async fn attempt(&self, req: &Request) -> Result<Value, Failure> {
        let mut response = self.respond(req).await?;
        if response.content_length().is_some_and(|n| n > self.max_body as u64) {
            return Err(Failure::Final(FetchError::TooLarge(self.max_body)));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e, req))? {
            if body.len() + chunk.len() > self.max_body {
                return Err(Failure::Final(FetchError::TooLarge(self.max_body)));
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| Failure::Final(FetchError::NotJson(e.to_string())))
    }

    fn transport(&self, e: reqwest::Error, req: &Request) -> Failure {
        if e.is_timeout() {
            // A slow source is not retried: the next scheduled run is the retry.
            return Failure::Final(FetchError::Timeout(req.timeout.as_millis()));
        }
        if let Some(Denied(why)) = denial(&e) {
            return Failure::Final(FetchError::Denied(why.clone()));
        }
        // Without the URL: its query string may carry a token.
        let connect = e.is_connect();
        let text = describe(&e.without_url());
        if connect {
            Failure::Retryable(FetchError::Connect(text), None)
        } else {
            Failure::Final(FetchError::Connect(text))
        }
    }
}

fn headers(req: &Request) -> Result<HeaderMap, Failure> {
    req.headers
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| Failure::Final(FetchError::Invalid(format!("header name {name:?}"))))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|_| Failure::Final(FetchError::Invalid(format!("the value of header {name}"))))?;
            Ok((name, value))
        })
        .collect()
}

fn status_failure(status: StatusCode, headers: &HeaderMap) -> Failure {
    let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
    let hint = match status.as_u16() {
        401 | 403 => "; check the source's credentials (headers)",
        404 => "; check the URL",
        _ => "",
    };
    let err = FetchError::Status { status: status.as_u16(), hint: hint.into() };
    if !retryable {
        return Failure::Final(err);
    }
    match retry_after(headers) {
        Some(wait) if wait > MAX_RETRY_AFTER => Failure::Final(err),
        wait => Failure::Retryable(err, wait),
    }
}

/// `Retry-After` in seconds (the HTTP-date form is rare for APIs and treated
/// as absent, i.e. our own backoff applies).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok().map(Duration::from_secs)
}

/// The policy's refusal somewhere in the error's causes.
fn denial<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Denied> {
    let mut cause = Some(e);
    while let Some(inner) = cause {
        if let Some(denied) = inner.downcast_ref::<Denied>() {
            return Some(denied);
        }
        cause = inner.source();
    }
    None
}

fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
