//! The one write path for metric values: observations in, result out. Push
//! and pull both come through here.
//!
//! Writes are group-committed: a writer task takes every job queued while
//! the previous transaction was committing and stores them in one
//! transaction, so one fsync acknowledges many pushes. A job is answered
//! only after its transaction has committed.

mod batch;
mod states;
mod writer;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{mpsc, oneshot};

use crate::config::DatabaseSettings;
use crate::domain::FieldError;
use crate::store::{self, Flush, IndexResult};

/// Values for one project, as parsed from a request or a pulled document.
#[derive(Debug, Clone)]
pub struct Push {
    pub project: String,
    pub observed_at: Option<DateTime<Utc>>,
    pub values: Vec<(String, f64)>,
    /// Where this push sits in the request (`""` or `"[3]"`), for errors.
    pub at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("invalid push")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] DbErr),
    /// The writer is gone: the process is shutting down.
    #[error("the server is shutting down")]
    Stopped,
}

type Reply = Result<Vec<IndexResult>, IngestError>;

/// A pull's status, recorded on its source in the same transaction as the
/// values it produced.
#[derive(Debug, Clone)]
pub struct RunUpdate {
    pub source_id: i64,
    pub at: DateTime<Utc>,
    /// Why the source or some mappings gave no value.
    pub errors: Vec<String>,
    /// The worker whose lease on the source ends with this run.
    pub lease_owner: Option<String>,
}

/// Pushes that are stored together or not at all, with who to answer.
struct Job {
    pushes: Vec<Push>,
    source: String,
    run: Option<RunUpdate>,
    reply: oneshot::Sender<Reply>,
}

/// Handle to the writer tasks; cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    writers: Arc<Vec<mpsc::Sender<Job>>>,
}

/// Jobs waiting per writer before callers wait too (back-pressure).
const QUEUE: usize = 4096;

impl Ingestor {
    /// Starts the writer tasks on their own connections (see
    /// `store::connect_ingest`). SQLite has one writer at a time anyway; on
    /// PostgreSQL several writers commit in parallel, each project always
    /// going to the same writer so its pushes stay in order.
    pub async fn start(db: &DatabaseConnection, settings: &DatabaseSettings) -> Result<Self, DbErr> {
        let count = match (settings.writers, db.get_database_backend()) {
            (0, DbBackend::Sqlite) => 1,
            (0, _) => 4,
            (n, _) => n,
        };
        let (own, flush) = store::connect_ingest(settings, db, count as u32).await?;
        let writers: Vec<mpsc::Sender<Job>> = (0..count)
            .map(|n| {
                let (tx, rx) = mpsc::channel(QUEUE);
                tokio::spawn(writer::run(own.clone(), flush.for_writer(n), rx, settings.max_batch.max(1)));
                tx
            })
            .collect();
        if let Flush::Wal { .. } = flush {
            tokio::spawn(store::checkpoint_wal(db.clone(), writers[0].downgrade()));
        }
        Ok(Self { writers: Arc::new(writers) })
    }

    /// Stores every push and computes one result per push, all in one
    /// transaction: either everything is stored or nothing is.
    pub async fn ingest(&self, pushes: Vec<Push>, source: &str) -> Reply {
        self.submit(pushes, source, None).await
    }

    /// Like `ingest`, and records the pull on its source. `pushes` may be
    /// empty (the pull produced no value); the run is recorded anyway.
    pub async fn ingest_pulled(&self, pushes: Vec<Push>, source: &str, run: RunUpdate) -> Reply {
        self.submit(pushes, source, Some(run)).await
    }

    async fn submit(&self, pushes: Vec<Push>, source: &str, run: Option<RunUpdate>) -> Reply {
        let mut hasher = DefaultHasher::new();
        pushes.first().map(|p| &p.project).hash(&mut hasher);
        let writer = &self.writers[hasher.finish() as usize % self.writers.len()];
        let (reply, answer) = oneshot::channel();
        writer.send(Job { pushes, source: source.to_string(), run, reply }).await.map_err(|_| IngestError::Stopped)?;
        answer.await.map_err(|_| IngestError::Stopped)?
    }
}
