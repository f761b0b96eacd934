//! SQLite copies its WAL into the database in checkpoints. Run by the
//! ingest writer at commit, as SQLite does by default, a checkpoint holds
//! every queued push behind its writes and two fsyncs; so the writer's
//! connection never checkpoints and this task does, in the background, on
//! a connection of the server's pool.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use tokio::sync::mpsc::WeakSender;

const PERIOD: Duration = Duration::from_millis(500);

/// A passive checkpoint never waits for the writer, so under sustained load
/// the WAL is never wholly copied and keeps growing; past this many pages
/// (64 MiB of 4 KiB pages) a checkpoint waits for the writer and restarts
/// the WAL, a pause of a few milliseconds every few seconds at worst.
const MAX_WAL_PAGES: i64 = 16_384;

/// Checkpoints until `alive` has no strong sender left (the ingest writers
/// it serves are gone).
pub async fn checkpoint_wal<T>(db: DatabaseConnection, alive: WeakSender<T>) {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.upgrade().is_none() {
            return;
        }
        let done = match checkpoint(&db, "PASSIVE").await {
            Ok(pages) if pages > MAX_WAL_PAGES => checkpoint(&db, "RESTART").await.map(drop),
            other => other.map(drop),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
        }
    }
}

/// Returns how many pages the WAL holds.
async fn checkpoint(db: &DatabaseConnection, mode: &str) -> Result<i64, DbErr> {
    let sql = format!("PRAGMA wal_checkpoint({mode})");
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
    row.map(|r| r.try_get_by_index(1)).transpose().map(Option::unwrap_or_default)
}
