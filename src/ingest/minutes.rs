//! Rolling up what the writer stores without reading it back: each
//! project's history from its `built_to` on is summed per minute as it is
//! stored, and once a minute can no longer change by appending it goes to
//! every tier and `built_to` moves past it.
//!
//! Pushes received at once are often stored slightly out of their event
//! order, so the newest points are replaced all the time (a late value
//! recomputes those after it). The index points of the last `SETTLE` are
//! therefore kept one by one, where a replacement can be applied as is;
//! older ones only as minute sums. A change to those (a value later than
//! `SETTLE`, a recompute job, a published import) forgets the sums, as does
//! reloading the project; the builder then rolls those minutes up from the
//! raw rows and, once it has caught up, the sums start again from there.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ConnectionTrait, DbErr};

use super::history::Rewrite;
use super::states::State;
use crate::domain::{Cell, TIERS, floor_to};
use crate::store::{self, Cells, HistoryChanges, Kind};

const MINUTE: i64 = TIERS[0];
/// How far before the newest point index points stay replaceable (µs).
const SETTLE: i64 = 5_000_000;

/// A project's history from its `built_to` on.
pub(super) struct Unbuilt {
    project_id: i64,
    /// Values, and index points before `settled`, per minute.
    cells: Cells,
    /// Index points from `settled` on: (event time, order stored) → value.
    recent: BTreeMap<(i64, u64), f64>,
    settled: i64,
    stored: u64,
}

impl Unbuilt {
    fn new(project_id: i64, cells: Cells, settled: i64) -> Self {
        Unbuilt { project_id, cells, recent: BTreeMap::new(), settled, stored: 0 }
    }

    fn add(&mut self, series: &str, at: i64, value: f64) {
        let point = Cell::point(at, value);
        let key = (self.project_id, series.to_string(), floor_to(at, MINUTE));
        self.cells.entry(key).and_modify(|c| c.merge(&point)).or_insert(point);
    }

    fn add_point(&mut self, at: i64, value: f64) {
        if at < self.settled {
            self.add("", at, value);
        } else {
            self.stored += 1;
            self.recent.insert((at, self.stored), value);
        }
    }

    /// Folds the index points before `until` into the minute sums.
    fn settle(&mut self, until: i64) {
        while let Some(entry) = self.recent.first_entry()
            && entry.key().0 < until
        {
            let ((at, _), value) = entry.remove_entry();
            self.add("", at, value);
        }
        self.settled = self.settled.max(until);
    }

    /// Deletes the index points at `from..=to` and stores `points` instead.
    fn replace(&mut self, r: &Rewrite) {
        let gone: Vec<(i64, u64)> = self.recent.range((r.from, 0)..=(r.to, u64::MAX)).map(|(k, _)| *k).collect();
        for key in gone {
            self.recent.remove(&key);
        }
        r.points.iter().for_each(|(at, v)| self.add_point(*at, *v));
    }
}

/// The sums of a project read afresh: none needed for an empty history.
pub(super) fn fresh(project_id: i64, history_end: Option<i64>, built_to: Option<i64>) -> Option<Unbuilt> {
    (history_end.is_none() && built_to.is_none()).then(|| Unbuilt::new(project_id, Cells::new(), i64::MIN))
}

/// Applies what this transaction stored past each project's `built_to`:
/// `rewrites` of each project's index in the order made, then the appended
/// index points and the values of `changes`.
pub(super) fn note(states: &mut HashMap<i64, &mut State>, rewrites: &[(i64, &[Rewrite])], changes: &HistoryChanges) {
    for (project_id, rewrites) in rewrites {
        let Some(state) = states.get_mut(project_id) else { continue };
        for r in rewrites.iter().filter(|r| !rolled_up(state.built_to, r.to)) {
            match state.unbuilt.as_mut() {
                Some(unbuilt) if r.from >= unbuilt.settled => unbuilt.replace(r),
                _ => state.unbuilt = None,
            }
        }
    }
    for span in changes.rewritten.iter().filter(|s| s.kind == Kind::Indicators) {
        if let Some(state) = states.get_mut(&span.project_id)
            && !rolled_up(state.built_to, span.to)
        {
            state.unbuilt = None;
        }
    }
    for (project_id, at, value) in &changes.points {
        if let Some(unbuilt) = summing(states, *project_id, *at) {
            unbuilt.add_point(*at, *value);
        }
    }
    for (project_id, at, key, value) in &changes.observations {
        if let Some(unbuilt) = summing(states, *project_id, *at) {
            unbuilt.add(key, *at, *value);
        }
    }
}

/// The sums that take what the project stored at `at`, if it has them
/// and `at` is not rolled up yet.
fn summing<'a>(states: &'a mut HashMap<i64, &mut State>, project_id: i64, at: i64) -> Option<&'a mut Unbuilt> {
    let state = states.get_mut(&project_id)?;
    if rolled_up(state.built_to, at) {
        return None;
    }
    state.unbuilt.as_mut()
}

fn rolled_up(built_to: Option<i64>, at: i64) -> bool {
    built_to.is_some_and(|built| at < built)
}

/// Settles the project's points older than `SETTLE` before its newest and
/// takes the minutes wholly before them, moving `built_to` up past them:
/// (the minutes, the new `built_to`).
pub(super) fn complete(state: &mut State) -> Option<(Cells, i64)> {
    let unbuilt = state.unbuilt.as_mut()?;
    unbuilt.settle(state.history_end? - SETTLE);
    let cut = floor_to(unbuilt.settled, MINUTE);
    if state.built_to.is_some_and(|built| built >= cut) {
        return None;
    }
    let (done, open): (Cells, Cells) =
        std::mem::take(&mut unbuilt.cells).into_iter().partition(|((_, _, minute), _)| *minute < cut);
    unbuilt.cells = open;
    state.built_to = Some(cut);
    Some((done, cut))
}

/// After the builder has gone as far as it can, the sums start from where
/// it stopped; while it has more to do there are none.
pub(super) async fn after_build(txn: &impl ConnectionTrait, state: &mut State, more: bool) -> Result<(), DbErr> {
    if more {
        return Ok(());
    }
    let (project_id, from) = (state.project.id, state.built_to.unwrap_or(i64::MIN));
    let (points, cells) = store::history_from(txn, project_id, from).await?;
    let settled = state.history_end.map_or(from, |end| from.max(end - SETTLE));
    let mut unbuilt = Unbuilt::new(project_id, cells, settled);
    points.into_iter().for_each(|(at, value)| unbuilt.add_point(at, value));
    state.unbuilt = Some(unbuilt);
    Ok(())
}
