//! The retention sweep of `koi serve`: deletes raw history and rollup
//! buckets past their periods (`[retention]`, per-project overrides), a
//! small batch per transaction with a pause between batches, so pushes
//! interleave with it: batches are sized to hold the write lock about
//! 10 ms. Every batch commits on its own and deletes only
//! what is past its period at that moment, so killing the process at any
//! point loses nothing that should be kept; the next sweep goes on.

use std::time::{Duration, Instant};

use chrono::Utc;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::watch;

use crate::domain::{Retention, TIERS, raw_cutoff};
use crate::store;

/// Runs a sweep every `every` until `stop` turns true.
pub async fn run(
    db: DatabaseConnection,
    configured: Retention,
    batch: u64,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = sweep(&db, configured, batch, Utc::now().timestamp_micros(), &stop).await {
            tracing::warn!(error = %e, "retention sweep failed; retrying next time");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// One pass over every project as of `now` (µs); rows deleted.
pub async fn sweep(
    db: &DatabaseConnection,
    configured: Retention,
    batch: u64,
    now: i64,
    stop: &watch::Receiver<bool>,
) -> Result<u64, DbErr> {
    let mut pace = Pace::new(batch);
    let mut deleted = 0;
    for (project_id, code, overrides) in store::retention_overrides(db).await? {
        let retention = configured.with(overrides);
        if let Some(period) = retention.raw {
            let cutoff = raw_cutoff(now, period);
            deleted += pace.drain(stop, |size| store::sweep_raw(db, project_id, &code, cutoff, size)).await?;
        }
        for (tier, period) in TIERS.into_iter().zip(retention.tiers) {
            if let Some(period) = period {
                let before = now - period * 1_000_000;
                deleted += pace.drain(stop, |size| store::sweep_tier(db, project_id, tier, before, size)).await?;
            }
        }
    }
    Ok(deleted)
}

/// How long a batch should hold the lock it takes: SQLite's one write lock,
/// or on PostgreSQL the project's. Pushes queue behind it; with batches of
/// 1,000 rows (86 ms) a year swept while pushing 5,000/s doubled the push
/// p99 (`bench/history.md`).
const HOLD: Duration = Duration::from_millis(10);

/// The shortest pause between two batches, which is at least as long as
/// the batch before it: the sweep takes at most half of the lock's time.
const PAUSE: Duration = Duration::from_millis(10);

/// Sizes batches to hold the lock about `HOLD`, whatever the rows cost on
/// this machine and database, and never above the configured batch.
struct Pace {
    size: u64,
    most: u64,
}

impl Pace {
    fn new(most: u64) -> Self {
        let most = most.max(1);
        // The first batch is small: its cost is unknown.
        Self { size: most.min(50), most }
    }

    /// Runs `step` (one batch of at most the given size) until it deletes
    /// nothing or `stop` turns true, pausing between batches.
    async fn drain<F, Fut>(&mut self, stop: &watch::Receiver<bool>, step: F) -> Result<u64, DbErr>
    where
        F: Fn(u64) -> Fut,
        Fut: Future<Output = Result<u64, DbErr>>,
    {
        let mut total = 0;
        while !*stop.borrow() {
            let started = Instant::now();
            let deleted = step(self.size).await?;
            if deleted == 0 {
                break;
            }
            total += deleted;
            let took = started.elapsed();
            self.size = next_size(self.size, took, self.most);
            tokio::time::sleep(PAUSE.max(took)).await;
        }
        Ok(total)
    }
}

/// The batch size that would have taken about `HOLD`: at most twice the
/// last one (a fast batch may have deleted less than its size), at least 1.
fn next_size(size: u64, took: Duration, most: u64) -> u64 {
    let scaled = size as f64 * HOLD.as_secs_f64() / took.as_secs_f64().max(1e-6);
    (scaled as u64).clamp(1, size.saturating_mul(2).min(most))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_shrink_when_slow_and_grow_at_most_twofold_up_to_the_configured_batch() {
        assert_eq!(next_size(1000, Duration::from_millis(86), 1000), 116);
        assert_eq!(next_size(100, Duration::from_millis(1), 1000), 200);
        assert_eq!(next_size(800, Duration::from_millis(2), 1000), 1000);
        assert_eq!(next_size(3, Duration::from_secs(5), 1000), 1);
    }
}
