use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Fetcher, Request, extract};
use crate::ingest::{IngestError, Push, ingest};
use crate::metrics::METRICS;
use crate::store::{self, IndexResult, RunRecord, Source};

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

/// Fetches, extracts, ingests and records the run on the source. Problems
/// of the source (unreachable, bad path) end up in the outcome and in
/// `last_error`; only a database failure is an `Err`.
pub async fn pull_source(
    db: &DatabaseConnection,
    fetcher: &Fetcher,
    default_timeout_ms: u64,
    source: &Source,
    lease_owner: Option<&str>,
) -> Result<PullOutcome, DbErr> {
    let mut outcome = PullOutcome { values: BTreeMap::new(), errors: Vec::new(), result: None, reached: false };
    match fetcher.fetch_json(&request_of(&source.spec, default_timeout_ms)).await {
        Err(e) => outcome.errors.push(e.to_string()),
        Ok(doc) => {
            outcome.reached = true;
            let (values, errors) = extract(&doc, &source.spec.mappings);
            outcome.errors = errors;
            if !values.is_empty() {
                let push = Push {
                    project: source.spec.project.clone(),
                    observed_at: None,
                    values: values.clone(),
                    at: String::new(),
                };
                match ingest(db, &[push], &format!("pull:{}", source.id)).await {
                    Ok(mut results) => {
                        outcome.values = values.into_iter().collect();
                        outcome.result = results.pop();
                    }
                    Err(IngestError::Invalid(errors)) => {
                        outcome.errors.extend(errors.into_iter().map(|e| format!("{}: {}", e.field, e.message)))
                    }
                    Err(IngestError::Db(e)) => return Err(e),
                }
            }
        }
    }
    let error = (!outcome.errors.is_empty()).then(|| outcome.errors.join("; "));
    METRICS.pulled(error.is_none());
    tracing::info!(source = source.id, values = outcome.values.len(), error = error.as_deref(), "pulled source");
    let run = RunRecord { at: Utc::now(), values: outcome.values.clone(), error };
    store::record_run(db, source.id, &run, lease_owner).await?;
    Ok(outcome)
}
