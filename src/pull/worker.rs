use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::{Fetcher, Schedule, pull_source};
use crate::config::AutopullSettings;
use crate::ingest::Ingestor;
use crate::store::{self, Source};

/// Claims due sources and pulls them, at most `concurrency` at a time. Any
/// number of workers may share one database: claims are leases in it.
#[derive(Clone)]
pub struct Worker {
    db: DatabaseConnection,
    ingestor: Ingestor,
    fetcher: Fetcher,
    settings: AutopullSettings,
    owner: String,
    permits: Arc<Semaphore>,
}

impl Worker {
    pub fn new(db: DatabaseConnection, ingestor: Ingestor, settings: &AutopullSettings) -> Self {
        Self {
            db,
            ingestor,
            fetcher: Fetcher::new(settings),
            settings: settings.clone(),
            owner: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
        }
    }

    /// Ticks until `shutdown` turns true, then lets in-flight pulls finish
    /// for up to `drain` before giving up on them.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, drain: Duration) {
        tracing::info!(owner = %self.owner, "pull worker started");
        let mut ticker = tokio::time::interval(self.tick_period());
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut pulls = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                _ = ticker.tick() => {
                    if let Err(e) = self.tick(&mut pulls).await {
                        tracing::warn!(error = %e, "pull worker cannot reach the database; retrying next tick");
                    }
                    while pulls.try_join_next().is_some() {}
                }

            }
        }
        tracing::info!(in_flight = pulls.len(), "pull worker stopping");
        if tokio::time::timeout(drain, async { while pulls.join_next().await.is_some() {} }).await.is_err() {
            tracing::warn!(abandoned = pulls.len(), "pulls still running at shutdown; their leases will expire");
        }
    }

    /// Claims what is due (no more than there are free slots) and starts
    /// pulling it; returns how many sources this worker claimed.
    pub async fn tick(&self, pulls: &mut JoinSet<()>) -> Result<usize, DbErr> {
        let started = std::time::Instant::now();
        let mut count = 0;
        loop {
            let room = self.permits.available_permits();
            let claimed = self.claim_due().await?;
            let full = room > 0 && claimed.len() == room;
            count += claimed.len();
            for source in claimed {
                let permit = self.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
                let worker = self.clone();
                pulls.spawn(async move {
                    if let Err(e) = pull_source(
                        &worker.ingestor,
                        &worker.fetcher,
                        worker.settings.timeout_ms,
                        &source,
                        Some(worker.owner.as_str()),
                    )
                    .await
                    {
                        tracing::warn!(source = source.id, error = %e, "pull not recorded: database error");
                    }
                    drop(permit);
                });
            }
            // More may be due than there was room for: claim the rest as
            // slots free up rather than a tick later, but for one tick period
            // at most, so a backlog that never clears (sources failing
            // slower than their schedule) cannot keep shutdown waiting.
            if !full || started.elapsed() >= self.tick_period() {
                return Ok(count);
            }
            drop(self.permits.acquire().await.expect("the semaphore is never closed"));
        }
    }

    fn tick_period(&self) -> Duration {
        Duration::from_millis(self.settings.tick_ms.max(10))
    }

    /// Leases due sources to this worker and moves their next run on.
    pub async fn claim_due(&self) -> Result<Vec<Source>, DbErr> {
        let free = self.permits.available_permits() as u64;
        if free == 0 {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let lease_until = now + chrono::Duration::seconds(self.settings.lease_secs as i64);
        let mut due = store::due_sources(&self.db, now, free).await?;
        if due.is_empty() {
            return Ok(due);
        }
        // Rows locked in id order by every worker: two workers claiming
        // overlapping sets wait for each other instead of deadlocking.
        due.sort_by_key(|s| s.id);
        // One transaction for the whole tick: one commit instead of one per
        // source. Each UPDATE still only succeeds for one worker.
        let txn = self.db.begin().await?;
        let mut claimed = Vec::new();
        for source in due {
            let next =
                source.spec.schedule.parse::<Schedule>().ok().and_then(|s| s.next_after(source.next_run_at, now));
            if store::claim_source(&txn, source.id, &self.owner, now, lease_until, next).await? {
                claimed.push(source);
            }
        }
        txn.commit().await?;
        Ok(claimed)
    }
}
