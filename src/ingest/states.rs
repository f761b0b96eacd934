//! Each writer's copy of the projects it ingests into: configuration and
//! latest values. Reading them afresh costs three queries per transaction;
//! the copy is reused while the project's lock shows that nobody changed
//! the project or ingested into it since this writer last did.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr};

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
}

/// Projects kept between transactions; a writer with more starts afresh.
const MAX_KEPT: usize = 10_000;

#[derive(Default)]
pub(super) struct States(HashMap<String, State>);

impl States {
    /// Locks the project in `txn` and returns its state; `None` when there
    /// is no such project. The state is out of the cache until `keep`
    /// returns it, so a transaction that fails leaves nothing stale behind.
    pub async fn lock(&mut self, txn: &impl ConnectionTrait, code: &str) -> Result<Option<State>, DbErr> {
        let kept = self.0.remove(code);
        let Some(lock) = store::lock_project(txn, code).await? else {
            return Ok(None);
        };
        if let Some(state) = kept.filter(|s| s.lock.followed_by(&lock)) {
            return Ok(Some(State { lock, ..state }));
        }
        let project = store::find_project(txn, code)
            .await?
            .ok_or_else(|| DbErr::Custom(format!("project {code:?} vanished while locked")))?;
        let latest = store::latest_values(txn, lock.id).await?;
        let history_end = store::history_end(txn, lock.id).await?;
        let pending = store::pending_job(txn, lock.id).await?;
        Ok(Some(State { lock, project, latest, history_end, pending }))
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
