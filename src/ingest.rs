//! The one write path for metric values: observations in, result out. Push
//! and pull both come through here.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use crate::domain::{FieldError, score};
use crate::metrics::METRICS;
use crate::store::{self, IndexResult, Project};

/// Values for one project, as parsed from a request or a pulled document.
#[derive(Debug, Clone)]
pub struct Push {
    pub project: String,
    pub observed_at: Option<DateTime<Utc>>,
    pub values: Vec<(String, f64)>,
    /// Where this push sits in the request (`""` or `"[3]"`), for errors.
    pub at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("invalid push")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Stores every push and computes one result per push, all in one
/// transaction: either everything is stored or nothing is.
pub async fn ingest(db: &DatabaseConnection, pushes: &[Push], source: &str) -> Result<Vec<IndexResult>, IngestError> {
    let started = Instant::now();
    let txn = db.begin().await?;
    // Locking in code order means two batches naming the same projects
    // cannot deadlock each other.
    let mut projects: BTreeMap<&str, Option<Project>> = pushes.iter().map(|p| (p.project.as_str(), None)).collect();
    for (code, slot) in projects.iter_mut() {
        *slot = store::lock_project(&txn, code).await?;
    }
    let errors: Vec<FieldError> = pushes.iter().flat_map(|p| check(p, projects[p.project.as_str()].as_ref())).collect();
    if !errors.is_empty() {
        txn.rollback().await?;
        return Err(IngestError::Invalid(errors));
    }
    let mut results = Vec::with_capacity(pushes.len());
    for push in pushes {
        let project = projects[push.project.as_str()].as_ref().expect("checked above");
        let now = Utc::now();
        let observed_at = store::to_micros(push.observed_at.unwrap_or(now));
        let rows: Vec<(String, f64, i64)> = push.values.iter().map(|(k, v)| (k.clone(), *v, observed_at)).collect();
        store::insert_observations(&txn, project.id, &rows, store::to_micros(now), source).await?;
        let latest = store::latest_values(&txn, project.id, &project.indicators).await?;
        let computed = score(&project.indicators, &latest, now);
        results.push(store::insert_result(&txn, project, &computed, now).await?);
    }
    txn.commit().await?;
    for r in &results {
        METRICS.computed(&r.project, r.value, started.elapsed());
    }
    Ok(results)
}

fn check(push: &Push, project: Option<&Project>) -> Vec<FieldError> {
    let Some(project) = project else {
        return vec![FieldError::new(
            format!("{}project", dot(&push.at)),
            format!("no project {:?}; create it with POST /v1/projects or check the code", push.project),
        )];
    };
    push.values
        .iter()
        .filter(|(key, _)| !project.indicators.iter().any(|i| &i.key == key))
        .map(|(key, _)| {
            let known: Vec<&str> = project.indicators.iter().map(|i| i.key.as_str()).collect();
            FieldError::new(
                format!("{}values.{key}", dot(&push.at)),
                format!(
                    "project {:?} has no indicator {key:?}; known indicators: [{}]",
                    project.code,
                    known.join(", ")
                ),
            )
        })
        .collect()
}

fn dot(at: &str) -> String {
    if at.is_empty() { String::new() } else { format!("{at}.") }
}
