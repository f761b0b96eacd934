use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use sea_orm::DbErr;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Fetcher, Request, extract};
use crate::ingest::{IngestError, Ingestor, Push, RunUpdate};
use crate::metrics::METRICS;
use crate::store::{IndexResult, Source};

/// What one pull of a source produced.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PullOutcome {
    /// Values extracted and stored, by indicator.
    pub values: BTreeMap<String, f64>,
    /// Why the source or some mappings gave no value; empty on full success.
    pub errors: Vec<String>,
    /// The index computed from the stored values, when any were stored.
    pub result: Option<IndexResult>,
    /// Whether the source answered with JSON at all.
    #[serde(skip)]
    pub reached: bool,
}

/// The request a source describes; `default_timeout_ms` applies when the
/// source sets none.
pub fn request_of(spec: &super::SourceSpec, default_timeout_ms: u64) -> Request {
    Request {
        url: spec.url.clone(),
        method: if spec.method == "POST" { Method::POST } else { Method::GET },
        headers: spec.headers.clone(),
        body: spec.body.as_ref().map(|b| b.to_string()),
        timeout: Duration::from_millis(spec.timeout_ms.unwrap_or(default_timeout_ms)),
    }
}

/// Fetches, extracts, and stores the values together with the run's status
/// on the source. Problems of the source (unreachable, bad path) end up in
/// the outcome and in `last_error`; only a database failure is an `Err`.
pub async fn pull_source(
    ingestor: &Ingestor,
    fetcher: &Fetcher,
    default_timeout_ms: u64,
    source: &Source,
    lease_owner: Option<&str>,
) -> Result<PullOutcome, DbErr> {
    let (mut values, mut errors, mut reached) = (Vec::new(), Vec::new(), false);
    match fetcher.fetch_json(&request_of(&source.spec, default_timeout_ms)).await {
        Err(e) => errors.push(e.to_string()),
        Ok(doc) => {
            reached = true;
            (values, errors) = extract(&doc, &source.spec.mappings);
        }
    }
    let pushes = if values.is_empty() {
        Vec::new()
    } else {
        vec![Push {
            project: source.spec.project.clone(),
            observed_at: None,
            values: values.clone(),
            at: String::new(),
        }]
    };
    let run = RunUpdate {
        source_id: source.id,
        at: Utc::now(),
        errors: errors.clone(),
        lease_owner: lease_owner.map(str::to_string),
    };
    let mut outcome = PullOutcome { values: BTreeMap::new(), errors, result: None, reached };
    match ingestor.ingest_pulled(pushes, &format!("pull:{}", source.id), run).await {
        Ok(mut results) => {
            outcome.values = values.into_iter().collect();
            outcome.result = results.pop();
        }
        Err(IngestError::Invalid(invalid)) => {
            outcome.errors.extend(invalid.into_iter().map(|e| format!("{}: {}", e.field, e.message)))
        }
        Err(IngestError::Db(e)) => return Err(e),
        Err(IngestError::Stopped) => return Err(DbErr::Custom("shutting down: the pull was not recorded".into())),
    }
    METRICS.pulled(outcome.errors.is_empty());
    tracing::info!(source = source.id, values = outcome.values.len(), errors = ?outcome.errors, "pulled source");
    Ok(outcome)
}
