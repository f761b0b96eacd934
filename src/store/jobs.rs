//! Background jobs that recompute a range of a project's history. A
//! project has at most one job still to run; late values and rescores
//! widen it instead of starting another, so two never race on one history.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::entity::{job, project};
use super::time::serialize_rfc3339;
use super::{from_micros, to_micros};

pub(super) const OPEN: [&str; 2] = ["pending", "running"];

/// The part of a project's history still to recompute: `cursor..to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub job: i64,
    /// Start of the whole range, for its progress.
    pub from: i64,
    pub cursor: i64,
    /// Exclusive end; `None`: to the end of the history.
    pub to: Option<i64>,
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    /// `recompute` (late values, imports) or `rescore`.
    #[schema(example = "rescore")]
    pub kind: String,
    pub project: String,
    /// `pending`, `running` or `done`.
    #[schema(example = "running")]
    pub state: String,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub from: DateTime<Utc>,
    /// End of the range (exclusive); absent: to the end of the history.
    pub to: Option<DateTime<Utc>>,
    /// Points before this time are recomputed.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub cursor: DateTime<Utc>,
    /// Share of the range done, 0 to 1 (by time).
    pub progress: f64,
    /// Points written so far.
    pub points: i64,
    /// The last failure; the job is retried.
    pub error: Option<String>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub updated_at: DateTime<Utc>,
}

pub async fn pending_job(db: &impl ConnectionTrait, project_id: i64) -> Result<Option<Pending>, DbErr> {
    let row = job::Entity::find()
        .filter(job::Column::ProjectId.eq(project_id))
        .filter(job::Column::State.is_in(OPEN))
        .order_by_asc(job::Column::Id)
        .one(db)
        .await?;
    Ok(row.map(|j| Pending { job: j.id, from: j.from_at, cursor: j.cursor, to: j.to_at }))
}

/// Makes sure `from..to` gets recomputed: widens the project's pending job,
/// or starts one of `kind`. The caller holds the project's lock.
pub async fn widen(
    txn: &impl ConnectionTrait,
    project_id: i64,
    pending: Option<Pending>,
    kind: &str,
    from: i64,
    to: Option<i64>,
) -> Result<Pending, DbErr> {
    let now = to_micros(Utc::now());
    let Some(p) = pending else {
        let row = job::ActiveModel {
            kind: Set(kind.into()),
            project_id: Set(project_id),
            state: Set("pending".into()),
            from_at: Set(from),
            to_at: Set(to),
            cursor: Set(from),
            points: Set(0),
            error: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        return Ok(Pending { job: row.id, from, cursor: from, to });
    };
    let widened = Pending {
        job: p.job,
        from: Ord::min(p.from, from),
        cursor: Ord::min(p.cursor, from),
        to: match (p.to, to) {
            (Some(a), Some(b)) => Some(Ord::max(a, b)),
            _ => None,
        },
    };
    job::Entity::update_many()
        .col_expr(job::Column::Cursor, Expr::value(widened.cursor))
        .col_expr(job::Column::ToAt, Expr::value(widened.to))
        .col_expr(job::Column::FromAt, Expr::value(widened.from))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(p.job))
        .exec(txn)
        .await?;
    Ok(widened)
}

/// Records a chunk: everything before `cursor` is recomputed; `done` ends
/// the job.
pub async fn advance(
    txn: &impl ConnectionTrait,
    job_id: i64,
    cursor: i64,
    points: usize,
    done: bool,
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::Cursor, Expr::value(cursor))
        .col_expr(job::Column::Points, Expr::col(job::Column::Points).add(points as i64))
        .col_expr(job::Column::State, Expr::value(if done { "done" } else { "running" }))
        .col_expr(job::Column::Error, Expr::value(""))
        .col_expr(job::Column::UpdatedAt, Expr::value(to_micros(Utc::now())))
        .filter(job::Column::Id.eq(job_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Keeps a failure on the job, which stays pending and is retried.
pub async fn note_failure(db: &impl ConnectionTrait, project: &str, error: &str) -> Result<(), DbErr> {
    let ids =
        project::Entity::find().select_only().column(project::Column::Id).filter(project::Column::Code.eq(project));
    job::Entity::update_many()
        .col_expr(job::Column::Error, Expr::value(error))
        .col_expr(job::Column::UpdatedAt, Expr::value(to_micros(Utc::now())))
        .filter(job::Column::ProjectId.in_subquery(sea_orm::QueryTrait::into_query(ids)))
        .filter(job::Column::State.is_in(OPEN))
        .exec(db)
        .await?;
    Ok(())
}

/// Codes of the projects with a job to run.
pub async fn projects_with_jobs(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let ids = job::Entity::find().select_only().column(job::Column::ProjectId).filter(job::Column::State.is_in(OPEN));
    project::Entity::find()
        .select_only()
        .column(project::Column::Code)
        .filter(project::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(ids)))
        .into_tuple()
        .all(db)
        .await
}

pub async fn find_job(db: &impl ConnectionTrait, id: i64) -> Result<Option<JobView>, DbErr> {
    let Some(j) = job::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let code: Option<String> = project::Entity::find_by_id(j.project_id)
        .select_only()
        .column(project::Column::Code)
        .into_tuple()
        .one(db)
        .await?;
    let end = match j.to_at {
        Some(to) => to,
        // An open job runs to the newest point or value, whichever is later.
        None => {
            let end = super::history_end(db, j.project_id).await?;
            Ord::max(end, super::timeline::newest_reading(db, j.project_id).await?).map_or(j.cursor, |end| end + 1)
        }
    };
    let progress = if j.state == "done" || end <= j.from_at {
        if j.state == "done" { 1.0 } else { 0.0 }
    } else {
        ((j.cursor - j.from_at) as f64 / (end - j.from_at) as f64).clamp(0.0, 1.0)
    };
    Ok(Some(JobView {
        id: j.id,
        kind: j.kind,
        project: code.unwrap_or_default(),
        state: j.state,
        from: from_micros(j.from_at),
        to: j.to_at.map(from_micros),
        cursor: from_micros(j.cursor),
        progress,
        points: j.points,
        error: (!j.error.is_empty()).then_some(j.error),
        created_at: from_micros(j.created_at),
        updated_at: from_micros(j.updated_at),
    }))
}

/// The project's jobs, newest first.
pub async fn project_jobs(db: &impl ConnectionTrait, project_id: i64, limit: u64) -> Result<Vec<JobView>, DbErr> {
    let ids: Vec<i64> = job::Entity::find()
        .select_only()
        .column(job::Column::Id)
        .filter(job::Column::ProjectId.eq(project_id))
        .order_by_desc(job::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        views.extend(find_job(db, id).await?);
    }
    Ok(views)
}
