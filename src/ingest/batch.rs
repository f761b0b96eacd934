use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};

use super::states::{State, States};
use super::{Job, Push, RunUpdate};
use crate::domain::{FieldError, Latest, score};
use crate::metrics::METRICS;
use crate::store::{self, IndexResult, NewObservations, Project, RunRecord};

pub(super) type Outcome = Result<Vec<IndexResult>, Vec<FieldError>>;

/// Stores the valid jobs of a batch in one transaction and says, per job,
/// what it computed or why it was refused. A refused job stores nothing
/// and does not affect the others; a database error fails them all.
pub(super) async fn commit(db: &DatabaseConnection, jobs: &[Job], kept: &mut States) -> Result<Vec<Outcome>, DbErr> {
    let started = Instant::now();
    let txn = db.begin().await?;
    // Locking in code order means two batches naming the same projects
    // cannot deadlock each other.
    let codes: BTreeSet<&str> = jobs.iter().flat_map(|j| j.pushes.iter().map(|p| p.project.as_str())).collect();
    let mut states: HashMap<&str, Option<State>> = HashMap::new();
    for code in codes {
        states.insert(code, kept.lock(&txn, code).await?);
    }
    let mut touched: HashMap<i64, BTreeSet<String>> = HashMap::new();
    let mut observations = Vec::new();
    let (mut results, mut result_projects) = (Vec::new(), Vec::new());
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut runs = Vec::new();
    for job in jobs {
        let errors: Vec<FieldError> =
            job.pushes.iter().flat_map(|p| check(p, states[p.project.as_str()].as_ref().map(|s| &s.project))).collect();
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
            let state = states.get_mut(push.project.as_str()).and_then(Option::as_mut).expect("checked above");
            let (project, current) = (&state.project, &mut state.latest);
            let now = Utc::now();
            let observed_at = push.observed_at.unwrap_or(now);
            observations.push(NewObservations {
                project_id: project.id,
                values: push.values.clone(),
                observed_at: store::to_micros(observed_at),
                received_at: store::to_micros(now),
                source: job.source.clone(),
            });
            for (key, value) in &push.values {
                // Newest observation wins; on a tie the one received last.
                if current.get(key).is_none_or(|l| observed_at >= l.observed_at) {
                    current.insert(key.clone(), Latest { value: *value, observed_at });
                    touched.entry(project.id).or_default().insert(key.clone());
                }
            }
            let s = score(&project.indicators, project.missing_policy, current, now);
            let result = IndexResult {
                project: project.code.clone(),
                value: s.value,
                computed_at: store::from_micros(store::to_micros(now)),
                revision: project.revision,
                coverage: s.coverage,
                missing_policy: s.policy,
                breakdown: s.breakdown,
            };
            results.push(result.clone());
            result_projects.push(project.id);
            computed.push(result);
        }
        outcomes.push(Ok(computed));
    }
    let latest: HashMap<i64, &HashMap<String, Latest>> =
        states.values().flatten().map(|s| (s.project.id, &s.latest)).collect();
    let changed: Vec<(i64, &String, &Latest)> =
        touched.iter().flat_map(|(id, keys)| keys.iter().map(|k| (*id, k, &latest[id][k]))).collect();
    let rows = vec![
        store::observation_rows(&observations),
        store::latest_rows(&changed),
        store::result_rows(&result_projects, &results),
    ];
    store::insert_all(&txn, rows).await?;
    for (source_id, run, owner) in &runs {
        store::record_run(&txn, *source_id, run, owner.as_deref()).await?;
    }
    txn.commit().await?;
    kept.keep(states.into_values().flatten());
    METRICS.committed(results.len(), started.elapsed());
    // Results are in commit order: the last one per project is its index now.
    let newest: HashMap<&str, f64> = results.iter().map(|r| (r.project.as_str(), r.value)).collect();
    for (project, value) in newest {
        METRICS.index(project, value);
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
