//! Each writer's copy of the projects it ingests into: configuration and
//! latest values. Reading them afresh costs a few queries per transaction,
//! however many projects it reads (`store::resume_projects`); the copy is
//! reused while the project's lock shows that nobody changed the project or
//! ingested into it since this writer last did.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

use super::minutes;
use crate::domain::Latest;
use crate::store::{self, IngestLock, Pending, Project};

/// A project locked by the current transaction, with its latest values.
pub(super) struct State {
    pub lock: IngestLock,
    pub project: Project,
    pub latest: HashMap<String, Latest>,
    /// The event time of the newest point.
    pub history_end: Option<i64>,
    /// The part of the history still to recompute.
    pub pending: Option<Pending>,
    /// Raw history before this time (µs) may have been deleted by retention.
    pub raw_from: Option<i64>,
    /// The rollups hold the history before this time (µs); None: nothing.
    pub built_to: Option<i64>,
    /// The history from `built_to` on, summed per minute (see `minutes`);
    /// None: not known here, the builder reads it from the raw rows.
    pub unbuilt: Option<minutes::Unbuilt>,
}

/// Projects kept between transactions; a writer with more starts afresh.
const MAX_KEPT: usize = 10_000;

#[derive(Default)]
pub(super) struct States(HashMap<String, State>);

impl States {
    /// Locks the projects in `txn` and returns their states; `None` for a
    /// code with no project. A state is out of the cache until `keep`
    /// returns it, so a transaction that fails leaves nothing stale behind.
    pub async fn lock_all<'a>(
        &mut self,
        txn: &impl ConnectionTrait,
        codes: &[&'a str],
    ) -> Result<HashMap<&'a str, Option<State>>, DbErr> {
        let mut locks: HashMap<String, IngestLock> = store::lock_projects(txn, codes).await?.into_iter().collect();
        let mut states = HashMap::with_capacity(codes.len());
        let mut cold = Vec::new();
        for &code in codes {
            let kept = self.0.remove(code);
            let Some(lock) = locks.remove(code) else {
                states.insert(code, None);
                continue;
            };
            match kept.filter(|s| s.lock.followed_by(&lock)) {
                Some(state) => {
                    states.insert(code, Some(State { lock, ..state }));
                }
                None => cold.push((code, lock)),
            }
        }
        let ids: Vec<i64> = cold.iter().map(|(_, lock)| lock.id).collect();
        let mut resumed = store::resume_projects(txn, &ids).await?;
        for (code, lock) in cold {
            let r = resumed.remove(&lock.id).expect("resume_projects returns every id");
            let unbuilt = minutes::fresh(lock.id, r.history_end, r.built_to);
            let state = State {
                lock,
                project: r.project,
                latest: r.latest,
                history_end: r.history_end,
                pending: r.pending,
                raw_from: r.raw_from,
                built_to: r.built_to,
                unbuilt,
            };
            states.insert(code, Some(state));
        }
        Ok(states)
    }

    /// Keeps states whose transaction committed.
    pub fn keep(&mut self, states: impl IntoIterator<Item = State>) {
        for state in states {
            if self.0.len() >= MAX_KEPT {
                self.0.clear();
            }
            self.0.insert(state.project.code.clone(), state);
        }
    }
}
