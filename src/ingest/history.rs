//! Keeps a project's history a function of event time while values arrive:
//! values at or after the newest point extend it at once; a value before it
//! widens the project's recompute job, of which each transaction does a
//! bounded chunk (the rest is left to the background recomputer).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::Readings;
use super::states::State;
use crate::domain::{Latest, Reading, Score, apply, replay, score};
use crate::store::{self, IndexResult, Project};

/// What a transaction asks of one project's history.
#[derive(Default)]
pub(super) struct Work {
    /// New readings in the order received.
    pub readings: Readings,
    /// A published import: its first time, and each indicator's newest
    /// value in it; the history from that time on is recomputed by the job.
    pub import: Option<(i64, Readings)>,
    /// Recompute `from..to` under the current configuration.
    pub rescore: Option<(i64, Option<i64>)>,
    /// Do a chunk of the pending job.
    pub recompute: bool,
}

impl Work {
    /// Whether this work reads the history back from the database (so the
    /// transaction's readings must be inserted first).
    pub fn reads_back(&self, state: &State) -> bool {
        self.import.is_some()
            || self.rescore.is_some()
            || self.recompute
            || state.pending.is_some()
            || self.readings.iter().any(|(at, _)| state.history_end.is_some_and(|end| *at < end))
    }
}

/// What the work wrote and computed.
#[derive(Default)]
pub(super) struct Done {
    /// Points computed, by event time.
    pub points: HashMap<i64, IndexResult>,
    /// Points computed by the tail, to insert with the transaction's rows.
    pub rows: Vec<IndexResult>,
    /// Indicator keys whose latest value changed.
    pub touched: BTreeSet<String>,
    /// The recompute job this work widened or advanced.
    pub job: Option<i64>,
    /// Whether a recompute job is left to run.
    pub pending: bool,
    /// Changes other than appending, in the order made.
    pub rewrites: Vec<Rewrite>,
}

/// The points at event times `from..=to` were deleted, then `points`
/// (event time, value) stored in their place.
pub(super) struct Rewrite {
    pub from: i64,
    pub to: i64,
    pub points: Vec<(i64, f64)>,
}

pub(super) async fn run(
    txn: &impl ConnectionTrait,
    state: &mut State,
    work: &Work,
    now: DateTime<Utc>,
    budget: u64,
) -> Result<Done, DbErr> {
    let mut done = Done::default();
    let end = state.history_end;
    let (late, tail): (Vec<_>, Vec<_>) = work.readings.iter().partition(|(at, _)| end.is_some_and(|end| *at < end));
    for (at, values) in &late {
        apply(&mut state.latest, &Reading { at: *at, values });
        done.touched.extend(values.iter().map(|(k, _)| k.clone()));
    }
    let project_id = state.project.id;
    for (at, values) in &late {
        let to = affected_until(txn, project_id, values, *at, end).await?;
        state.pending = Some(store::widen(txn, project_id, state.pending, "recompute", *at, to).await?);
    }
    if let Some((from, newest)) = &work.import {
        for (at, values) in newest {
            apply(&mut state.latest, &Reading { at: *at, values });
            done.touched.extend(values.iter().map(|(k, _)| k.clone()));
        }
        state.pending = Some(store::widen(txn, project_id, state.pending, "recompute", *from, None).await?);
    }
    if let Some((from, to)) = work.rescore {
        // Points before the retention cutoff have lost the values to
        // recompute them from.
        let from = from.max(state.raw_from.unwrap_or(i64::MIN));
        state.pending = Some(store::widen(txn, project_id, state.pending, "rescore", from, to).await?);
    }
    done.job = state.pending.map(|p| p.job);
    if let Some(pending) = state.pending
        && (work.recompute || work.rescore.is_some() || work.import.is_some() || !late.is_empty())
    {
        chunk(txn, state, pending, now, budget, &mut done).await?;
    }
    if let Some(end) = state.history_end
        && tail.iter().any(|(at, _)| *at == end)
    {
        store::delete_points(txn, project_id, end, Some(end + 1)).await?;
        done.rewrites.push(Rewrite { from: end, to: end, points: Vec::new() });
    }
    extend(state, &tail, now, &mut done);
    done.pending = state.pending.is_some();
    Ok(done)
}

/// Where a late reading stops mattering: at the next observation of each
/// of its indicators (`None`: the end of the history).
async fn affected_until(
    txn: &impl ConnectionTrait,
    project_id: i64,
    values: &[(String, f64)],
    at: i64,
    end: Option<i64>,
) -> Result<Option<i64>, DbErr> {
    let mut until = Some(at);
    for (key, _) in values {
        let next = store::next_observation(txn, project_id, key, at).await?;
        until = match (until, next) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
    }
    Ok(until.filter(|u| end.is_some_and(|end| *u <= end)))
}

/// Recomputes up to `budget` readings of the pending job. A job open at
/// its end runs to the newest value seen before this transaction's new
/// ones: the history past it is extended as values arrive.
async fn chunk(
    txn: &impl ConnectionTrait,
    state: &mut State,
    pending: store::Pending,
    now: DateTime<Utc>,
    budget: u64,
    done: &mut Done,
) -> Result<(), DbErr> {
    let project = &state.project;
    let newest = state.latest.values().map(|l| l.observed_at.timestamp_micros()).max();
    let to = pending.to.unwrap_or_else(|| newest.max(state.history_end).map_or(pending.cursor, |t| t + 1));
    let (readings, until) = store::readings_chunk(txn, project.id, pending.cursor, to, budget).await?;
    let mut scratch = store::state_before(txn, project.id, &project.indicators, pending.cursor).await?;
    let views: Vec<Reading> = readings.iter().map(|r| Reading { at: r.at, values: &r.values }).collect();
    let scorer = |l: &HashMap<String, Latest>, t| score(&project.indicators, project.missing_policy, l, t);
    let points = replay(&project.indicators, scorer, &mut scratch, &views, pending.cursor, until);
    store::delete_points(txn, project.id, pending.cursor, Some(until)).await?;
    let results: Vec<IndexResult> = points.into_iter().map(|(at, s)| result(project, at, s, now)).collect();
    if until > pending.cursor {
        let points = results.iter().map(|r| (r.at.timestamp_micros(), r.value)).collect();
        done.rewrites.push(Rewrite { from: pending.cursor, to: until - 1, points });
    }
    let ids = vec![project.id; results.len()];
    store::insert_all(txn, vec![store::result_rows(&ids, &results)]).await?;
    let finished = until == to;
    store::advance(txn, pending.job, until, results.len(), finished).await?;
    if let Some(last) = results.last() {
        let last = last.at.timestamp_micros();
        state.history_end = Some(state.history_end.map_or(last, |end| end.max(last)));
    }
    for r in results {
        done.points.insert(r.at.timestamp_micros(), r);
    }
    state.pending = (!finished).then_some(store::Pending { cursor: until, ..pending });
    Ok(())
}

/// Extends the history past its newest point: the new readings at or after
/// it, and the instants values turned stale since, up to now.
fn extend(state: &mut State, tail: &[&(i64, Vec<(String, f64)>)], now: DateTime<Utc>, done: &mut Done) {
    let mut ordered: Vec<&(i64, Vec<(String, f64)>)> = tail.to_vec();
    // Stable: readings sharing a time stay in the order received.
    ordered.sort_by_key(|(at, _)| *at);
    let first = ordered.first().map(|(at, _)| *at);
    let from = match (state.history_end, first) {
        (Some(end), Some(first)) if first == end => end,
        (Some(end), _) => end + 1,
        (None, Some(first)) => first,
        (None, None) => return,
    };
    let project = &state.project;
    let views: Vec<Reading> = ordered.iter().map(|(at, values)| Reading { at: *at, values }).collect();
    let scorer = |l: &HashMap<String, Latest>, t| score(&project.indicators, project.missing_policy, l, t);
    let points = replay(&project.indicators, scorer, &mut state.latest, &views, from, now.timestamp_micros() + 1);
    done.touched.extend(ordered.iter().flat_map(|(_, values)| values.iter().map(|(k, _)| k.clone())));
    if let Some((last, _)) = points.last() {
        state.history_end = Some(state.history_end.map_or(*last, |end| end.max(*last)));
    }
    for (at, s) in points {
        let r = result(project, at, s, now);
        done.points.insert(at, r.clone());
        done.rows.push(r);
    }
}

/// The point at `at` from the stored history, for a late value whose point
/// the pending job has not reached yet: it may still change when the job
/// recomputes what comes before it.
pub(super) async fn point_at(
    txn: &impl ConnectionTrait,
    project: &Project,
    at: i64,
    now: DateTime<Utc>,
) -> Result<IndexResult, DbErr> {
    let mut state = store::state_before(txn, project.id, &project.indicators, at).await?;
    let readings = store::readings(txn, project.id, at, Some(at + 1), u64::MAX).await?;
    for r in &readings {
        apply(&mut state, &Reading { at: r.at, values: &r.values });
    }
    Ok(result(project, at, score(&project.indicators, project.missing_policy, &state, store::from_micros(at)), now))
}

fn result(project: &Project, at: i64, s: Score, now: DateTime<Utc>) -> IndexResult {
    IndexResult {
        project: project.code.clone(),
        at: store::from_micros(at),
        value: s.value,
        computed_at: store::from_micros(now.timestamp_micros()),
        revision: project.revision,
        coverage: s.coverage,
        missing_policy: s.policy,
        breakdown: s.breakdown,
    }
}
