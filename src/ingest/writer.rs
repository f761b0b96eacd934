use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::mpsc;

use super::states::States;
use super::tail::Tail;
use super::{IngestError, Job, batch};
use crate::metrics::METRICS;
use crate::store::Flush;

/// How much one transaction takes on.
pub(super) struct Limits {
    /// Pushes.
    pub max_batch: usize,
    /// Readings a recompute job goes through.
    pub recompute_batch: u64,
    /// Points the rollup builder goes through.
    pub rollup_batch: u64,
    /// How long new history may stay out of SQLite's indexes (see `Tail`).
    pub index_every: Option<Duration>,
}

/// Commits queued jobs in batches of up to `max_batch` pushes until every
/// sender is gone. A batch is answered once `flush` has made it durable;
/// meanwhile the next batch is already being committed.
pub(super) async fn run(db: DatabaseConnection, flush: Flush, mut jobs: mpsc::Receiver<Job>, limits: Limits) {
    let mut states = States::default();
    let mut tail = Tail::new(limits.index_every);
    loop {
        let next = match tail.due_in() {
            None => jobs.recv().await,
            Some(left) => match tokio::time::timeout(left, jobs.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    tail.step(&db).await;
                    continue;
                }
            },
        };
        let Some(first) = next else { break };
        let mut pushes = first.task.size(limits.max_batch);
        let mut batch = vec![first];
        while pushes < limits.max_batch {
            match jobs.try_recv() {
                Ok(job) => {
                    pushes += job.task.size(limits.max_batch);
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        match batch::commit(&db, &batch, &mut states, &limits).await {
            Ok(outcomes) => {
                tail.committed(batch.iter().flat_map(|job| job.task.projects()), pushes);
                tokio::spawn(answer(flush.clone(), batch, outcomes));
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "ingest transaction failed; nothing of it was stored");
                refuse(batch, &e);
            }
        }
        tail.step(&db).await;
    }
    tail.finish(&db).await;
}

async fn answer(flush: Flush, batch: Vec<Job>, outcomes: Vec<batch::Outcome>) {
    let started = Instant::now();
    let flushed = flush.run().await;
    METRICS.flushed(started.elapsed());
    if let Err(e) = flushed {
        tracing::warn!(error = %e, jobs = batch.len(), "flushing an ingest failed; it is refused, though it may be stored");
        return refuse(batch, &e);
    }
    for (job, outcome) in batch.into_iter().zip(outcomes) {
        job.reply.send(outcome.map_err(IngestError::Invalid)).ok();
    }
}

fn refuse(batch: Vec<Job>, e: &DbErr) {
    for job in batch {
        job.reply.send(Err(IngestError::Db(e.clone()))).ok();
    }
}
