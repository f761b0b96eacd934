//! Durability for the ingest writer, taken off its critical path.
//!
//! The writer commits without waiting for the disk, then a `Flush` makes
//! everything committed so far durable before any of it is acknowledged.
//! The writer starts its next transaction while the last one's flush is in
//! flight, so throughput is no longer one fsync per transaction, and an
//! acknowledged push is exactly as durable as with a synchronous commit.
//! Readers may see a commit before it is durable; a crash can then lose it,
//! but it was never acknowledged.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement};

use super::connect::Role;
use crate::config::DatabaseSettings;

#[derive(Clone)]
pub enum Flush {
    /// SQLite in WAL mode with `synchronous=NORMAL`: an fsync of the WAL
    /// file after the commit is exactly what `synchronous=FULL` adds.
    Wal { database: PathBuf, failed: Arc<AtomicBool> },
    /// PostgreSQL with `synchronous_commit=off`: a synchronous commit on
    /// another connection flushes the WAL up to its own commit record, which
    /// lies after every commit that returned before it began. It must write:
    /// a commit that wrote no WAL (one that only took a transaction id, say)
    /// is not flushed. So it bumps the writer's row of `ingest_flushes`.
    Postgres { db: DatabaseConnection, slot: i64 },
    /// There is no disk to wait for (an in-memory SQLite database).
    AtCommit,
}

impl Flush {
    /// Returns once everything committed before the call is on disk.
    pub async fn run(&self) -> Result<(), DbErr> {
        match self {
            Flush::Wal { database, failed } => {
                if failed.load(Ordering::Relaxed) {
                    return Err(fsync_failed());
                }
                let database = database.clone();
                let synced = tokio::task::spawn_blocking(move || sync_wal(&database))
                    .await
                    .map_err(|e| DbErr::Custom(format!("the fsync task failed: {e}")))?;
                synced.map_err(|e| {
                    // After a failed fsync the kernel may have dropped the
                    // dirty pages, so a later fsync that succeeds proves
                    // nothing: refuse every later write until a restart.
                    failed.store(true, Ordering::Relaxed);
                    tracing::error!(error = %e, "fsync of the SQLite WAL failed; restart KOI after checking the disk");
                    fsync_failed()
                })
            }
            Flush::Postgres { db, slot } => {
                let bump = "INSERT INTO ingest_flushes (slot, count) VALUES ($1, 1) \
                            ON CONFLICT (slot) DO UPDATE SET count = ingest_flushes.count + 1";
                db.execute_raw(Statement::from_sql_and_values(DbBackend::Postgres, bump, [(*slot).into()]))
                    .await
                    .map(drop)
            }
            Flush::AtCommit => Ok(()),
        }
    }
}

impl Flush {
    /// The flush for writer `n`: each writer bumps a row of its own.
    pub fn for_writer(&self, n: usize) -> Flush {
        match self {
            Flush::Postgres { db, .. } => Flush::Postgres { db: db.clone(), slot: n as i64 },
            other => other.clone(),
        }
    }
}

fn fsync_failed() -> DbErr {
    DbErr::Custom("an fsync of the database failed earlier; KOI must be restarted".into())
}

/// fsyncs the WAL, or the database itself when there is no WAL (the last
/// connection closed, checkpointing everything into the database).
fn sync_wal(database: &std::path::Path) -> std::io::Result<()> {
    let mut wal = database.as_os_str().to_owned();
    wal.push("-wal");
    match std::fs::File::open(&wal) {
        Ok(file) => file.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::File::open(database)?.sync_data(),
        Err(e) => Err(e),
    }
}

/// The ingest writer's own pool, committing without waiting for the disk,
/// and the flush that makes those commits durable. `main` is the server's
/// pool, whose commits are synchronous.
pub async fn connect_ingest(
    settings: &DatabaseSettings,
    main: &DatabaseConnection,
    writers: u32,
) -> Result<(DatabaseConnection, Flush), DbErr> {
    if main.get_database_backend() == DbBackend::Postgres {
        let mut options = super::connect::options(settings, writers, Role::Ingest);
        // random_page_cost: the lock statement updates the rows it has just
        // locked by id, and with the default cost PostgreSQL preferred to
        // scan every project for them (a third of a millisecond per batch
        // with 1,000 projects); the writer reads a few rows at a time, from
        // pages in memory.
        let session = [("synchronous_commit", "off"), ("random_page_cost", "1.1")];
        options.map_sqlx_postgres_opts(move |o: PgConnectOptions| o.options(session));
        return Ok((Database::connect(options).await?, Flush::Postgres { db: main.clone(), slot: 0 }));
    }
    let parsed = SqliteConnectOptions::from_str(&settings.url).map_err(|e| DbErr::Custom(e.to_string()))?;
    let file = parsed.get_filename();
    // Another pool would open another in-memory database.
    if file.to_string_lossy().starts_with("file:sqlx-in-memory-") || settings.url.contains("mode=memory") {
        return Ok((main.clone(), Flush::AtCommit));
    }
    let options = super::connect::options(settings, writers, Role::Ingest);
    Ok((Database::connect(options).await?, Flush::Wal { database: file.to_path_buf(), failed: Arc::default() }))
}
