//! Rolling up what the writer appends without reading it back: each
//! project's history from its `built_to` on is summed per minute as it is
//! stored, and once the newest point is in a later minute the complete
//! minutes go to every tier and `built_to` moves up to that minute.
//!
//! The sums hold only while the history past `built_to` grows by appending.
//! A change there of any other kind (a late value's recompute, a replaced
//! point, a published import) forgets them, as does reloading the project;
//! the builder then rolls those minutes up from the raw rows and, once it
//! has caught up, the sums start again from the rows it stopped at.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::states::State;
use crate::domain::{Cell, TIERS, floor_to};
use crate::store::{self, Cells, HistoryChanges};

const MINUTE: i64 = TIERS[0];

/// The sums of a project read afresh: none needed for an empty history.
pub(super) fn fresh(history_end: Option<i64>, built_to: Option<i64>) -> Option<Cells> {
    (history_end.is_none() && built_to.is_none()).then(Cells::new)
}

/// Adds what this transaction appended past each project's `built_to` to
/// its sums, or forgets them where it changed that history otherwise.
pub(super) fn note(states: &mut HashMap<i64, &mut State>, changes: &HistoryChanges) {
    for span in &changes.rewritten {
        if let Some(state) = states.get_mut(&span.project_id)
            && !rolled_up(state, span.to)
        {
            state.unbuilt = None;
        }
    }
    let points = changes.points.iter().map(|(p, at, v)| (*p, "", *at, *v));
    let observations = changes.observations.iter().map(|(p, at, key, v)| (*p, key.as_str(), *at, *v));
    for (project_id, series, at, value) in points.chain(observations) {
        let Some(state) = states.get_mut(&project_id) else { continue };
        if rolled_up(state, at) {
            continue;
        }
        if let Some(cells) = state.unbuilt.as_mut() {
            let point = Cell::point(at, value);
            let key = (project_id, series.to_string(), floor_to(at, MINUTE));
            cells.entry(key).and_modify(|c| c.merge(&point)).or_insert(point);
        }
    }
}

fn rolled_up(state: &State, at: i64) -> bool {
    state.built_to.is_some_and(|built| at < built)
}

/// Takes the project's summed minutes before that of its newest point,
/// moving `built_to` up to it: (the minutes, the new `built_to`).
pub(super) fn complete(state: &mut State) -> Option<(Cells, i64)> {
    let cells = state.unbuilt.as_mut()?;
    let cut = floor_to(state.history_end?, MINUTE);
    if state.built_to.is_some_and(|built| built >= cut) {
        return None;
    }
    let (done, open): (Cells, Cells) = std::mem::take(cells).into_iter().partition(|((_, _, minute), _)| *minute < cut);
    *cells = open;
    state.built_to = Some(cut);
    Some((done, cut))
}

/// After the builder has gone as far as it can, the sums start from where
/// it stopped; while it has more to do there are none.
pub(super) async fn after_build(txn: &impl ConnectionTrait, state: &mut State, more: bool) -> Result<(), DbErr> {
    if !more {
        let from = state.built_to.unwrap_or(i64::MIN);
        state.unbuilt = Some(store::minutes_from(txn, state.project.id, from).await?);
    }
    Ok(())
}
