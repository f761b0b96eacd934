//! What an ingest writer reads of the projects it starts ingesting into,
//! for a whole batch at once: a writer that meets 1,000 projects it does
//! not keep (after a start, or once another process ingested into them)
//! reads them in a few statements instead of seven per project.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, Statement};

use super::Project;
use super::entity::job;
use super::jobs::{OPEN, Pending};
use super::latest::parse_readings;
use super::projects::find_projects_by_id;
use crate::domain::Latest;

/// A project as its writer resumes it: configuration, latest values and
/// where its history, recompute job, retention and rollups stand.
pub struct Resumed {
    pub project: Project,
    pub latest: HashMap<String, Latest>,
    /// The event time of the newest point.
    pub history_end: Option<i64>,
    pub pending: Option<Pending>,
    pub raw_from: Option<i64>,
    pub built_to: Option<i64>,
}

/// Statements take at most this many ids: SQLite's limit on parameters is
/// far above it, and PostgreSQL plans a statement per count anyway.
const CHUNK: usize = 500;

/// The projects with these ids, which the caller has locked; an error when
/// one of them is gone.
pub async fn resume_projects(txn: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, Resumed>, DbErr> {
    let mut resumed = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut projects: HashMap<i64, Project> =
            find_projects_by_id(txn, chunk).await?.into_iter().map(|p| (p.id, p)).collect();
        let mut pending = pending_jobs(txn, chunk).await?;
        for (id, readings, history_end, raw_from, built_to) in facts(txn, chunk).await? {
            let Some(project) = projects.remove(&id) else { continue };
            let latest = readings.map_or_else(|| Ok(HashMap::new()), |r| parse_readings(id, &r))?;
            let pending = pending.remove(&id);
            resumed.insert(id, Resumed { project, latest, history_end, pending, raw_from, built_to });
        }
    }
    match ids.iter().find(|id| !resumed.contains_key(id)) {
        Some(id) => Err(DbErr::Custom(format!("project {id} vanished while locked"))),
        None => Ok(resumed),
    }
}

/// Each project's oldest open job.
async fn pending_jobs(txn: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, Pending>, DbErr> {
    let jobs = job::Entity::find()
        .filter(job::Column::ProjectId.is_in(ids.iter().copied()))
        .filter(job::Column::State.is_in(OPEN))
        .order_by_desc(job::Column::Id)
        .all(txn)
        .await?;
    // Descending: the oldest job of a project is inserted last.
    Ok(jobs
        .into_iter()
        .map(|j| (j.project_id, Pending { job: j.id, from: j.from_at, cursor: j.cursor, to: j.to_at }))
        .collect())
}

/// id, latest readings, history end, raw_from, built_to.
type Facts = (i64, Option<String>, Option<i64>, Option<i64>, Option<i64>);

/// One row per project; each subquery is one index lookup (the newest
/// point's too: a grouped max would read the project's whole history),
/// which on SQLite also goes through the points not indexed yet.
async fn facts(txn: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Facts>, DbErr> {
    let backend = txn.get_database_backend();
    let list: Vec<String> = match backend {
        DbBackend::Postgres => (1..=ids.len()).map(|n| format!("${n}")).collect(),
        _ => vec!["?".to_string(); ids.len()],
    };
    let sql = format!(
        "SELECT p.id, \
           (SELECT l.readings FROM project_latest l WHERE l.project_id = p.id), \
           (SELECT r.at FROM results r WHERE r.project_id = p.id ORDER BY r.at DESC LIMIT 1), \
           (SELECT t.raw_from FROM retention t WHERE t.project_id = p.id), \
           (SELECT b.built_to FROM rollup_progress b WHERE b.project_id = p.id) \
         FROM projects p WHERE p.id IN ({})",
        list.join(", ")
    );
    let values = ids.iter().map(|&id| id.into());
    let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get_by_index(0)?,
                row.try_get_by_index(1)?,
                row.try_get_by_index(2)?,
                row.try_get_by_index(3)?,
                row.try_get_by_index(4)?,
            ))
        })
        .collect()
}
