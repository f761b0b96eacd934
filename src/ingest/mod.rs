//! The one write path for metric values: observations in, result out. Push
//! and pull both come through here.
//!
//! Writes are group-committed: a writer task takes every job queued while
//! the previous transaction was committing and stores them in one
//! transaction, so one fsync acknowledges many pushes. A job is answered
//! only after its transaction has committed.

mod batch;
mod history;
mod minutes;
mod states;
mod tail;
pub mod upkeep;
mod writer;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{broadcast, mpsc, oneshot};

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

type Reply = Result<Done, IngestError>;

/// What a job computed: the point of each push, at its event time, and
/// the project's recompute job if the work left or advanced one.
#[derive(Debug, Default)]
pub struct Done {
    pub results: Vec<IndexResult>,
    pub job: Option<i64>,
    /// Whether the project's job has more to do.
    pub pending: bool,
}

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

/// Work for a writer, with who to answer.
struct Job {
    task: Task,
    reply: oneshot::Sender<Reply>,
}

enum Task {
    /// Pushes stored together or not at all.
    Push { pushes: Vec<Push>, source: String, run: Option<RunUpdate> },
    /// Starts an import of the project (answered with its id as `job`).
    ImportBegin { project: String },
    /// Stores pushes of an import, hidden until it is published.
    ImportChunk { import: i64, pushes: Vec<Push> },
    /// Shows the import's values and recomputes the history from `from` on.
    ImportPublish { project: String, import: i64, from: i64, latest: Readings },
    /// A chunk of the project's pending recompute job.
    Recompute { project: String },
    /// Points for the values that turned stale since the newest point.
    Sweep { project: String },
    /// Recompute `from..to` (µs; `None`: to the end) under the current
    /// configuration.
    Rescore { project: String, from: i64, to: Option<i64> },
    /// Rolls up the next stretch of the project's history.
    Rollup { project: String },
}

impl Task {
    fn projects(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        match self {
            Task::Push { pushes, .. } | Task::ImportChunk { pushes, .. } => {
                Box::new(pushes.iter().map(|p| p.project.as_str()))
            }
            Task::ImportBegin { project }
            | Task::ImportPublish { project, .. }
            | Task::Recompute { project }
            | Task::Sweep { project }
            | Task::Rescore { project, .. }
            | Task::Rollup { project } => Box::new(std::iter::once(project.as_str())),
        }
    }

    /// Its weight in a batch: pushes, or a whole batch for a recompute.
    fn size(&self, max_batch: usize) -> usize {
        match self {
            Task::Push { pushes, .. } | Task::ImportChunk { pushes, .. } => pushes.len(),
            _ => max_batch,
        }
    }
}

/// Values by event time (µs).
type Readings = Vec<(i64, Vec<(String, f64)>)>;

/// Each indicator's newest value among `pushes` (of equal times, the last),
/// as readings.
fn newest_values(pushes: &[Push]) -> Readings {
    let mut newest: HashMap<&str, (i64, f64)> = HashMap::new();
    for push in pushes {
        let at = push.observed_at.map_or(i64::MIN, |t| t.timestamp_micros());
        for (key, value) in &push.values {
            if newest.get(key.as_str()).is_none_or(|(t, _)| at >= *t) {
                newest.insert(key, (at, *value));
            }
        }
    }
    newest.into_iter().map(|(key, (at, value))| (at, vec![(key.to_string(), value)])).collect()
}

/// Handle to the writer tasks; cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    writers: Arc<Vec<mpsc::Sender<Job>>>,
    computed: broadcast::Sender<Arc<Computed>>,
}

/// A committed write that changed a project's history.
#[derive(Debug)]
pub struct Computed {
    pub project: String,
    /// The points pushes made, in push order; empty for other work
    /// (recomputes, staleness points, imports).
    pub points: Vec<IndexResult>,
}

/// Announcements kept per `computed` receiver before the slowest one lags
/// (and is told so, to look at everything instead).
const ANNOUNCED: usize = 1024;

/// Jobs waiting per writer before callers wait too (back-pressure).
const QUEUE: usize = 4096;

impl Ingestor {
    /// Starts the writer tasks on their own connections (see
    /// `store::connect_ingest`). SQLite has one writer at a time anyway; on
    /// PostgreSQL several writers may commit in parallel, each project
    /// always going to the same writer so its pushes stay in order.
    pub async fn start(db: &DatabaseConnection, settings: &DatabaseSettings) -> Result<Self, DbErr> {
        let count = settings.writers.max(1);
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        let index_every = sqlite.then(|| Duration::from_millis(settings.history_index_ms));
        let (own, flush) = store::connect_ingest(settings, db, count as u32).await?;
        let writers: Vec<mpsc::Sender<Job>> = (0..count)
            .map(|n| {
                let (tx, rx) = mpsc::channel(QUEUE);
                let limits = writer::Limits {
                    max_batch: settings.max_batch.max(1),
                    recompute_batch: settings.recompute_batch.max(1),
                    rollup_batch: settings.rollup_batch.max(1),
                    index_every,
                };
                tokio::spawn(writer::run(own.clone(), flush.for_writer(n), rx, limits));
                tx
            })
            .collect();
        if let Flush::Wal { .. } = flush {
            tokio::spawn(store::checkpoint_wal(db.clone(), writers[0].downgrade()));
        }
        Ok(Self { writers: Arc::new(writers), computed: broadcast::channel(ANNOUNCED).0 })
    }

    /// Stores every push and computes its point (at its event time), all in
    /// one transaction: either everything is stored or nothing is.
    pub async fn ingest(&self, pushes: Vec<Push>, source: &str) -> Result<Vec<IndexResult>, IngestError> {
        let source = source.to_string();
        Ok(self.submit(Task::Push { pushes, source, run: None }).await?.results)
    }

    /// Like `ingest`, and records the pull on its source. `pushes` may be
    /// empty (the pull produced no value); the run is recorded anyway.
    pub async fn ingest_pulled(
        &self,
        pushes: Vec<Push>,
        source: &str,
        run: RunUpdate,
    ) -> Result<Vec<IndexResult>, IngestError> {
        let source = source.to_string();
        Ok(self.submit(Task::Push { pushes, source, run: Some(run) }).await?.results)
    }

    /// Stores a backfill of one project: in chunks of `chunk` pushes, each
    /// its own transaction, hidden until a last small transaction shows
    /// them all; then the history from the first imported time on is
    /// recomputed by the returned job. Untimed pushes get the import's
    /// receive time.
    pub async fn import(&self, project: &str, pushes: Vec<Push>, chunk: usize) -> Result<Option<i64>, IngestError> {
        let now = Utc::now();
        let mut pushes = pushes;
        pushes.iter_mut().for_each(|p| p.observed_at = p.observed_at.or(Some(now)));
        let from = pushes.iter().filter_map(|p| p.observed_at).map(|t| t.timestamp_micros()).min();
        let Some(from) = from else { return Ok(None) };
        let latest = newest_values(&pushes);
        let project = project.to_string();
        let begun = self.submit(Task::ImportBegin { project: project.clone() }).await?;
        let import = begun.job.ok_or_else(|| IngestError::Db(DbErr::RecordNotFound(format!("project {project:?}"))))?;
        let mut rest = pushes.into_iter();
        loop {
            let pushes: Vec<Push> = rest.by_ref().take(chunk.max(1)).collect();
            if pushes.is_empty() {
                break;
            }
            self.submit(Task::ImportChunk { import, pushes }).await?;
        }
        Ok(self.submit(Task::ImportPublish { project, import, from, latest }).await?.job)
    }

    /// Does a chunk of the project's recompute job; whether more is left.
    pub async fn recompute(&self, project: &str) -> Result<bool, IngestError> {
        Ok(self.submit(Task::Recompute { project: project.to_string() }).await?.pending)
    }

    /// Writes the points of values that turned stale since the newest one.
    pub async fn sweep(&self, project: &str) -> Result<(), IngestError> {
        self.submit(Task::Sweep { project: project.to_string() }).await.map(drop)
    }

    /// Rolls up the next stretch of the project's history (see
    /// `store::build_rollups`); whether more is left.
    pub async fn build_rollups(&self, project: &str) -> Result<bool, IngestError> {
        Ok(self.submit(Task::Rollup { project: project.to_string() }).await?.pending)
    }

    /// Starts (or widens) the project's job recomputing `from..to`.
    pub async fn rescore(&self, project: &str, from: i64, to: Option<i64>) -> Result<Option<i64>, IngestError> {
        Ok(self.submit(Task::Rescore { project: project.to_string(), from, to }).await?.job)
    }

    /// Each project whose history a committed write changed, with the
    /// points its pushes made, for those who act on new points (alerts).
    pub fn computed(&self) -> broadcast::Receiver<Arc<Computed>> {
        self.computed.subscribe()
    }

    async fn submit(&self, mut task: Task) -> Reply {
        if let Task::Push { pushes, .. } = &mut task {
            // A push without `ts` describes the moment it was received.
            let now = Utc::now();
            pushes.iter_mut().for_each(|p| p.observed_at = p.observed_at.or(Some(now)));
        }
        let mut hasher = DefaultHasher::new();
        task.projects().next().hash(&mut hasher);
        let writer = &self.writers[hasher.finish() as usize % self.writers.len()];
        let listened = self.computed.receiver_count() > 0;
        let mut projects: Vec<String> =
            if listened { task.projects().map(str::to_string).collect() } else { Vec::new() };
        let (reply, answer) = oneshot::channel();
        writer.send(Job { task, reply }).await.map_err(|_| IngestError::Stopped)?;
        let done = answer.await.map_err(|_| IngestError::Stopped)??;
        projects.sort_unstable();
        projects.dedup();
        for project in projects {
            let points = done.results.iter().filter(|r| r.project == project).cloned().collect();
            // No receiver left is no error: nobody needs telling.
            self.computed.send(Arc::new(Computed { project, points })).ok();
        }
        Ok(done)
    }
}
