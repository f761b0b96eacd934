use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

use super::history::{self, Work};
use super::minutes;
use super::states::{State, States};
use super::writer::Limits;
use super::{Done, Job, Push, RunUpdate, Task};
use crate::domain::{FieldError, Latest};
use crate::metrics::METRICS;
use crate::store::{self, HistoryChanges, Kind, NewObservations, RunRecord, Span};

pub(super) type Outcome = Result<Done, Vec<FieldError>>;

/// Per job: the (project, event time) of each push, or its refusal.
type Asked<'a> = Result<Vec<(&'a str, i64)>, Vec<FieldError>>;

/// Stores the valid jobs of a batch in one transaction and says, per job,
/// what it computed or why it was refused. A refused job stores nothing
/// and does not affect the others; a database error fails them all.
pub(super) async fn commit(
    db: &DatabaseConnection,
    jobs: &[Job],
    kept: &mut States,
    limits: &Limits,
) -> Result<Vec<Outcome>, DbErr> {
    let started = Instant::now();
    let txn = db.begin().await?;
    // One statement locks every project of the batch.
    let codes: BTreeSet<&str> = jobs.iter().flat_map(|j| j.task.projects()).collect();
    let codes: Vec<&str> = codes.into_iter().collect();
    let mut states: HashMap<&str, Option<State>> = kept.lock_all(&txn, &codes).await?;
    let now = Utc::now();
    let mut work: BTreeMap<&str, Work> = BTreeMap::new();
    let mut observations = Vec::new();
    let mut runs = Vec::new();
    let mut asked: Vec<Asked> = Vec::with_capacity(jobs.len());
    // Rows of import chunks, each import's hidden until it is published.
    let mut staged = Vec::new();
    let mut begun: HashMap<usize, i64> = HashMap::new();
    // What changed in the histories, for their rollups.
    let mut changes = HistoryChanges::default();
    // Projects whose rollups to build further.
    let mut builds = Vec::new();
    for (n, job) in jobs.iter().enumerate() {
        let (pushes, source, run, import) = match &job.task {
            Task::Push { pushes, source, run } => (pushes, source.as_str(), run.as_ref(), None),
            Task::ImportChunk { import, pushes } => (pushes, "import", None, Some(*import)),
            Task::ImportBegin { project } => {
                if let Some(state) = states[project.as_str()].as_ref() {
                    begun.insert(n, store::begin_import(&txn, state.project.id).await?);
                }
                asked.push(Ok(Vec::new()));
                continue;
            }
            Task::ImportPublish { project, import, from, latest } => {
                store::mark_import(&txn, *import, true).await?;
                if let Some(state) = states[project.as_str()].as_ref() {
                    let to = latest.iter().map(|(at, _)| *at).max().unwrap_or(*from);
                    let project_id = state.project.id;
                    changes.rewritten.push(Span { project_id, kind: Kind::Indicators, from: *from, to });
                }
                work.entry(project).or_default().import = Some((*from, latest.clone()));
                asked.push(Ok(Vec::new()));
                continue;
            }
            Task::Recompute { project } | Task::Sweep { project } => {
                work.entry(project).or_default().recompute |= matches!(job.task, Task::Recompute { .. });
                asked.push(Ok(Vec::new()));
                continue;
            }
            Task::Rescore { project, from, to } => {
                work.entry(project).or_default().rescore = Some((*from, *to));
                asked.push(Ok(Vec::new()));
                continue;
            }
            Task::Rollup { project } => {
                builds.push(project.as_str());
                asked.push(Ok(Vec::new()));
                continue;
            }
        };
        let errors: Vec<FieldError> =
            pushes.iter().flat_map(|p| check(p, states[p.project.as_str()].as_ref())).collect();
        if !errors.is_empty() {
            if let Some(run) = run {
                let field_errors = errors.iter().map(|e| format!("{}: {}", e.field, e.message));
                runs.push(run_record(run, BTreeMap::new(), field_errors.collect()));
            }
            asked.push(Err(errors));
            continue;
        }
        if let Some(run) = run {
            let values = pushes.iter().flat_map(|p| p.values.iter().cloned()).collect();
            runs.push(run_record(run, values, Vec::new()));
        }
        let new_sets = pushes.iter().map(|push| NewObservations {
            project_id: states[push.project.as_str()].as_ref().expect("checked above").project.id,
            values: push.values.clone(),
            observed_at: store::to_micros(push.observed_at.unwrap_or(now)),
            received_at: store::to_micros(now),
            source: source.to_string(),
        });
        if let Some(import) = import {
            staged.push(store::observation_rows(&new_sets.collect::<Vec<_>>(), Some(import)));
            store::mark_import(&txn, import, false).await?;
            asked.push(Ok(Vec::new()));
            continue;
        }
        let mut times = Vec::with_capacity(pushes.len());
        for (push, set) in pushes.iter().zip(new_sets) {
            let w = work.entry(push.project.as_str()).or_default();
            w.readings.push((set.observed_at, push.values.clone()));
            let observed = push.values.iter().map(|(k, v)| (set.project_id, set.observed_at, k.clone(), *v));
            changes.observations.extend(observed);
            times.push((push.project.as_str(), set.observed_at));
            observations.push(set);
        }
        asked.push(Ok(times));
    }
    let reads_back = work.iter().any(|(code, w)| states[code].as_ref().is_some_and(|s| w.reads_back(s)));
    if reads_back {
        store::insert_all(&txn, vec![store::observation_rows(&observations, None)]).await?;
    }
    let mut done: HashMap<&str, history::Done> = HashMap::new();
    for (code, w) in &work {
        if let Some(state) = states.get_mut(code).and_then(Option::as_mut) {
            done.insert(code, history::run(&txn, state, w, now, limits.recompute_batch).await?);
        }
    }
    let mut changed: Vec<(i64, &HashMap<String, Latest>)> = Vec::new();
    let (mut result_projects, mut results) = (Vec::new(), Vec::new());
    for (code, d) in done.iter_mut() {
        let state = states[code].as_ref().expect("worked on");
        let id = state.project.id;
        if !d.touched.is_empty() {
            changed.push((id, &state.latest));
        }
        result_projects.extend(std::iter::repeat_n(id, d.rows.len()));
        changes.points.extend(d.rows.iter().map(|r| (id, store::to_micros(r.at), r.value)));
        let rewritten = d.rewrites.iter().map(|r| Span { project_id: id, kind: Kind::Index, from: r.from, to: r.to });
        changes.rewritten.extend(rewritten);
        results.append(&mut d.rows);
    }
    let mut rows = vec![store::latest_rows(changed), store::result_rows(&result_projects, &results)];
    if !reads_back {
        rows.push(store::observation_rows(&observations, None));
    }
    rows.append(&mut staged);
    store::insert_all(&txn, rows).await?;
    changes.built_to = states.values().flatten().filter_map(|s| Some((s.project.id, s.built_to?))).collect();
    store::update_rollups(&txn, &changes).await?;
    let rewrites: Vec<(i64, &[history::Rewrite])> =
        done.iter().filter_map(|(code, d)| Some((states[code].as_ref()?.project.id, &d.rewrites[..]))).collect();
    roll_up_appended(&txn, &mut states, &rewrites, &changes).await?;
    // After the rows above: the builder reads them back.
    let mut more: HashMap<&str, bool> = HashMap::new();
    for code in builds {
        if let Some(state) = states.get_mut(code).and_then(Option::as_mut)
            && state.unbuilt.is_none()
        {
            let (id, end) = (state.project.id, state.history_end);
            let built = store::build_rollups(&txn, id, state.built_to, end, limits.rollup_batch).await?;
            if let Some(built) = built {
                state.built_to = Some(built.to);
            }
            let left = built.is_some_and(|b| b.more);
            minutes::after_build(&txn, state, left).await?;
            more.insert(code, left);
        }
    }
    for (source_id, run, owner) in &runs {
        store::record_run(&txn, *source_id, run, owner.as_deref()).await?;
    }
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (job, asked) in jobs.iter().zip(asked) {
        let times = match asked {
            Ok(times) => times,
            Err(errors) => {
                outcomes.push(Err(errors));
                continue;
            }
        };
        let mut answer = Done { results: Vec::with_capacity(times.len()), ..Done::default() };
        if let Some(import) = begun.get(&outcomes.len()) {
            answer.job = Some(*import);
            outcomes.push(Ok(answer));
            continue;
        }
        for (code, at) in times {
            let found = done.get(code).and_then(|d| d.points.get(&at)).cloned();
            let project = &states[code].as_ref().expect("accepted").project;
            answer.results.push(match found {
                Some(point) => point,
                None => history::point_at(&txn, project, at, now).await?,
            });
        }
        if let Some(d) = job.task.projects().next().and_then(|code| done.get(code)) {
            (answer.job, answer.pending) = (d.job, d.pending);
        }
        if let Task::Rollup { project } = &job.task {
            answer.pending = more.get(project.as_str()).copied().unwrap_or(false);
        }
        outcomes.push(Ok(answer));
    }
    txn.commit().await?;
    kept.keep(states.into_values().flatten());
    METRICS.committed(results.len(), started.elapsed());
    Ok(outcomes)
}

/// Sums what was stored past each project's `built_to` and rolls up the
/// minutes that are complete, in one statement per tier.
async fn roll_up_appended(
    txn: &impl ConnectionTrait,
    states: &mut HashMap<&str, Option<State>>,
    rewrites: &[(i64, &[history::Rewrite])],
    changes: &HistoryChanges,
) -> Result<(), DbErr> {
    let mut by_id: HashMap<i64, &mut State> = states.values_mut().flatten().map(|s| (s.project.id, s)).collect();
    minutes::note(&mut by_id, rewrites, changes);
    let (mut cells, mut marks) = (store::Cells::new(), Vec::new());
    for (id, state) in by_id {
        if let Some((done, cut)) = minutes::complete(state) {
            cells.extend(done);
            marks.push((id, cut));
        }
    }
    store::store_minutes(txn, cells, &marks).await
}

/// The source's new status: the pull's own errors, then the ingest's.
fn run_record(run: &RunUpdate, values: BTreeMap<String, f64>, more: Vec<String>) -> (i64, RunRecord, Option<String>) {
    let errors: Vec<String> = run.errors.iter().cloned().chain(more).collect();
    let error = (!errors.is_empty()).then(|| errors.join("; "));
    (run.source_id, RunRecord { at: run.at, values, error }, run.lease_owner.clone())
}

fn check(push: &Push, state: Option<&State>) -> Vec<FieldError> {
    let Some(State { project, raw_from, .. }) = state else {
        return vec![FieldError::new(
            format!("{}project", dot(&push.at)),
            format!("no project {:?}; create it with POST /v1/projects or check the code", push.project),
        )];
    };
    let at = push.observed_at.map(store::to_micros);
    if let (Some(at), Some(from)) = (at, raw_from)
        && at < *from
    {
        // Its history was deleted: the points it would change could no
        // longer be recomputed.
        return vec![FieldError::new(
            format!("{}ts", dot(&push.at)),
            format!(
                "is before {}, since when project {:?} keeps its raw history; raise its retention \
                 ([retention] raw, or PUT /v1/projects/{}/retention) before storing older values",
                store::from_micros(*from).to_rfc3339(),
                project.code,
                project.code
            ),
        )];
    }
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
