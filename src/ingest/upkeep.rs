//! Background upkeep of every project's history: runs pending recompute
//! jobs a chunk at a time, and writes the point of each value that turns
//! stale (the instant it does, within a tick of it happening), tidies
//! the rows of finished or abandoned imports, and rolls up the history
//! that writers left behind a project's `built_to` (see `rollups_due`).

use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;

use super::{IngestError, Ingestor};
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
/// left, then the staleness sweep, then the rollups likewise.
async fn pass(db: &DatabaseConnection, ingestor: &Ingestor, stop: &watch::Receiver<bool>) -> anyhow::Result<()> {
    let pending = store::projects_with_jobs(db).await?;
    round_robin(pending, stop, |code| async move {
        let chunk = ingestor.recompute(&code).await;
        if let Err(e) = &chunk {
            tracing::warn!(project = %code, error = %e, "recompute chunk failed; the job is retried");
            store::note_failure(db, &code, &e.to_string()).await.ok();
        }
        (code, chunk)
    })
    .await;
    for code in store::stale_projects(db, Utc::now().timestamp_micros()).await? {
        ingestor.sweep(&code).await?;
    }
    // Small batches: other writes go on between them.
    while !*stop.borrow() && store::tidy_imports(db, TIDY_BATCH).await? > 0 {}
    let due = store::rollups_due(db).await?;
    round_robin(due, stop, |code| async move {
        let built = ingestor.build_rollups(&code).await;
        if let Err(e) = &built {
            tracing::warn!(project = %code, error = %e, "building rollups failed; retried next tick");
        }
        (code, built)
    })
    .await;
    Ok(())
}

/// Runs `step` on each project in turn, again on those it says have more
/// to do, until none has (an error counts as nothing more this pass).
async fn round_robin<F, Fut>(mut codes: Vec<String>, stop: &watch::Receiver<bool>, step: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = (String, Result<bool, IngestError>)>,
{
    while !codes.is_empty() && !*stop.borrow() {
        let mut next = Vec::with_capacity(codes.len());
        for code in codes {
            if let (code, Ok(true)) = step(code).await {
                next.push(code);
            }
        }
        codes = next;
    }
}
