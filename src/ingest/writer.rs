use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use super::{IngestError, Job, batch};

/// Commits queued jobs in batches of up to `max_batch` pushes until every
/// sender is gone.
pub(super) async fn run(db: DatabaseConnection, mut jobs: mpsc::Receiver<Job>, max_batch: usize) {
    while let Some(first) = jobs.recv().await {
        let mut pushes = first.pushes.len();
        let mut batch = vec![first];
        while pushes < max_batch {
            match jobs.try_recv() {
                Ok(job) => {
                    pushes += job.pushes.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        match batch::commit(&db, &batch).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    job.reply.send(outcome.map_err(IngestError::Invalid)).ok();
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "ingest transaction failed; nothing of it was stored");
                for job in batch {
                    job.reply.send(Err(IngestError::Db(e.clone()))).ok();
                }
            }
        }
    }
}
