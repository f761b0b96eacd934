//! Background upkeep of every project's history: runs pending recompute
//! jobs a chunk at a time, and writes the point of each value that turns
//! stale (the instant it does, within a tick of it happening), and tidies
//! the rows of finished or abandoned imports.

use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::Ingestor;
use crate::store;

/// Rows of a published or abandoned import tidied per statement.
const TIDY_BATCH: u64 = 5_000;

/// Runs until `stop` turns true; each tick is one pass.
pub async fn run(db: DatabaseConnection, ingestor: Ingestor, tick: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        if let Err(e) = pass(&db, &ingestor, &stop).await {
            tracing::warn!(error = %e, "history upkeep failed; retrying next tick");
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Chunks of every pending job, round-robin across projects until none is
/// left, then the staleness sweep.
async fn pass(db: &DatabaseConnection, ingestor: &Ingestor, stop: &watch::Receiver<bool>) -> anyhow::Result<()> {
    let mut pending = store::projects_with_jobs(db).await?;
    while !pending.is_empty() && !*stop.borrow() {
        let mut next = Vec::with_capacity(pending.len());
        for code in pending {
            match ingestor.recompute(&code).await {
                Ok(true) => next.push(code),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(project = %code, error = %e, "recompute chunk failed; the job is retried");
                    store::note_failure(db, &code, &e.to_string()).await.ok();
                }
            }
        }
        pending = next;
    }
    for code in store::stale_projects(db, Utc::now().timestamp_micros()).await? {
        ingestor.sweep(&code).await?;
    }
    // Small batches: other writes go on between them.
    while !*stop.borrow() && store::tidy_imports(db, TIDY_BATCH).await? > 0 {}
    Ok(())
}
