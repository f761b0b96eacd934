use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use super::{Job, Push, RunUpdate};
use crate::domain::{FieldError, Latest, score};
use crate::metrics::METRICS;
use crate::store::{self, IndexResult, NewObservation, Project, RunRecord};

type Outcome = Result<Vec<IndexResult>, Vec<FieldError>>;

/// Stores the valid jobs of a batch in one transaction and says, per job,
/// what it computed or why it was refused. A refused job stores nothing
/// and does not affect the others; a database error fails them all.
pub(super) async fn commit(db: &DatabaseConnection, jobs: &[Job]) -> Result<Vec<Outcome>, DbErr> {
    let started = Instant::now();
    let txn = db.begin().await?;
    // Locking in code order means two batches naming the same projects
    // cannot deadlock each other.
    let codes: BTreeSet<&str> = jobs.iter().flat_map(|j| j.pushes.iter().map(|p| p.project.as_str())).collect();
    let mut projects: HashMap<&str, Option<Project>> = HashMap::new();
    let mut latest: HashMap<i64, HashMap<String, Latest>> = HashMap::new();
    for code in codes {
        let project = store::lock_project(&txn, code).await?;
        if let Some(p) = &project {
            latest.insert(p.id, store::latest_values(&txn, p.id).await?);
        }
        projects.insert(code, project);
    }
    let mut touched: HashMap<i64, BTreeSet<String>> = HashMap::new();
    let mut observations = Vec::new();
    let (mut results, mut result_projects) = (Vec::new(), Vec::new());
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut runs = Vec::new();
    for job in jobs {
        let errors: Vec<FieldError> =
            job.pushes.iter().flat_map(|p| check(p, projects[p.project.as_str()].as_ref())).collect();
        if !errors.is_empty() {
            if let Some(run) = &job.run {
                let field_errors = errors.iter().map(|e| format!("{}: {}", e.field, e.message));
                runs.push(run_record(run, BTreeMap::new(), field_errors.collect()));
            }
            outcomes.push(Err(errors));
            continue;
        }
        if let Some(run) = &job.run {
            let values = job.pushes.iter().flat_map(|p| p.values.iter().cloned()).collect();
            runs.push(run_record(run, values, Vec::new()));
        }
        let mut computed = Vec::with_capacity(job.pushes.len());
        for push in &job.pushes {
            let project = projects[push.project.as_str()].as_ref().expect("checked above");
            let now = Utc::now();
            let observed_at = push.observed_at.unwrap_or(now);
            let current = latest.entry(project.id).or_default();
            for (key, value) in &push.values {
                observations.push(NewObservation {
                    project_id: project.id,
                    key: key.clone(),
                    value: *value,
                    observed_at: store::to_micros(observed_at),
                    received_at: store::to_micros(now),
                    source: job.source.clone(),
                });
                // Newest observation wins; on a tie the one received last.
                if current.get(key).is_none_or(|l| observed_at >= l.observed_at) {
                    current.insert(key.clone(), Latest { value: *value, observed_at });
                    touched.entry(project.id).or_default().insert(key.clone());
                }
            }
            let s = score(&project.indicators, current, now);
            let result = IndexResult {
                project: project.code.clone(),
                value: s.value,
                computed_at: store::from_micros(store::to_micros(now)),
                revision: project.revision,
                coverage: s.coverage,
                breakdown: s.breakdown,
            };
            results.push(result.clone());
            result_projects.push(project.id);
            computed.push(result);
        }
        outcomes.push(Ok(computed));
    }
    store::insert_observations(&txn, &observations).await?;
    for (project_id, keys) in &touched {
        let values = &latest[project_id];
        let rows: Vec<(&String, &Latest)> = keys.iter().map(|k| (k, &values[k])).collect();
        store::save_latest(&txn, *project_id, &rows).await?;
    }
    store::insert_results(&txn, &result_projects, &results).await?;
    for (source_id, run, owner) in &runs {
        store::record_run(&txn, *source_id, run, owner.as_deref()).await?;
    }
    txn.commit().await?;
    for r in &results {
        METRICS.computed(&r.project, r.value, started.elapsed());
    }
    Ok(outcomes)
}

/// The source's new status: the pull's own errors, then the ingest's.
fn run_record(run: &RunUpdate, values: BTreeMap<String, f64>, more: Vec<String>) -> (i64, RunRecord, Option<String>) {
    let errors: Vec<String> = run.errors.iter().cloned().chain(more).collect();
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    (run.source_id, RunRecord { at: run.at, values, error }, run.lease_owner.clone())
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
