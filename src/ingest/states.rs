//! Each writer's copy of the projects it ingests into: configuration and
//! latest values. Reading them afresh costs three queries per transaction;
//! the copy is reused while the project's lock shows that nobody changed
//! the project or ingested into it since this writer last did.

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
        for &code in codes {
            let kept = self.0.remove(code);
            let state = match locks.remove(code) {
                None => None,
                Some(lock) => Some(match kept.filter(|s| s.lock.followed_by(&lock)) {
                    Some(state) => State { lock, ..state },
                    None => load(txn, code, lock).await?,
                }),
            };
            states.insert(code, state);
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

/// A locked project's state, read afresh.
async fn load(txn: &impl ConnectionTrait, code: &str, lock: IngestLock) -> Result<State, DbErr> {
    let project = store::find_project(txn, code)
        .await?
        .ok_or_else(|| DbErr::Custom(format!("project {code:?} vanished while locked")))?;
    let latest = store::latest_values(txn, lock.id).await?;
    let history_end = store::history_end(txn, lock.id).await?;
    let pending = store::pending_job(txn, lock.id).await?;
    let raw_from = store::raw_from(txn, lock.id).await?;
    let built_to = store::built_to(txn, lock.id).await?;
    let unbuilt = minutes::fresh(lock.id, history_end, built_to);
    Ok(State { lock, project, latest, history_end, pending, raw_from, built_to, unbuilt })
}
