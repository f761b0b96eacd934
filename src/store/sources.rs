use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entity::{project, source};
use super::json::to_json;
use super::{from_micros, to_micros};
use crate::pull::SourceSpec;

/// A pull source with its run status.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: i64,
    pub project_id: i64,
    pub spec: SourceSpec,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_values: Option<BTreeMap<String, f64>>,
    pub consecutive_failures: i32,
    pub next_run_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What one pull did, for the source's status.
#[derive(Debug, Clone)]
pub struct RunRecord {
    pub at: DateTime<Utc>,
    pub values: BTreeMap<String, f64>,
    pub error: Option<String>,
}

pub async fn insert_source(
    db: &impl ConnectionTrait,
    project_id: i64,
    spec: &SourceSpec,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<Source, DbErr> {
    let now = to_micros(Utc::now());
    let mut row = spec_columns(spec)?;
    row.project_id = Set(project_id);
    row.next_run_at = Set(next_run_at.map(to_micros));
    row.consecutive_failures = Set(0);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    let id = row.insert(db).await?.id;
    find_source(db, id).await?.ok_or_else(|| DbErr::RecordNotFound(format!("source {id}")))
}

/// Replaces the configuration; the run status is kept.
pub async fn update_source(
    db: &impl ConnectionTrait,
    id: i64,
    project_id: i64,
    spec: &SourceSpec,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<Option<Source>, DbErr> {
    let mut row = spec_columns(spec)?;
    row.id = Set(id);
    row.project_id = Set(project_id);
    row.next_run_at = Set(next_run_at.map(to_micros));
    row.updated_at = Set(to_micros(Utc::now()));
    match row.update(db).await {
        Ok(_) => find_source(db, id).await,
        Err(DbErr::RecordNotUpdated) => Ok(None),
        Err(e) => Err(e),
    }
}

pub async fn find_source(db: &impl ConnectionTrait, id: i64) -> Result<Option<Source>, DbErr> {
    let row = source::Entity::find_by_id(id).one(db).await?;
    Ok(hydrate(db, row.into_iter().collect()).await?.pop())
}

/// Sources ordered by id, after `after`.
pub async fn list_sources(db: &impl ConnectionTrait, limit: u64, after: Option<i64>) -> Result<Vec<Source>, DbErr> {
    let mut query = source::Entity::find().order_by_asc(source::Column::Id).limit(limit);
    if let Some(after) = after {
        query = query.filter(source::Column::Id.gt(after));
    }
    hydrate(db, query.all(db).await?).await
}

pub async fn delete_source(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(source::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// Enabled sources whose run is due and whose lease (if any) has run out.
pub async fn due_sources(db: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> Result<Vec<Source>, DbErr> {
    let rows = source::Entity::find()
        .filter(claimable(to_micros(now)))
        .order_by_asc(source::Column::NextRunAt)
        .limit(limit)
        .all(db)
        .await?;
    hydrate(db, rows).await
}

/// Claims a due source for `owner` until `lease_until` and moves its next
/// run on. The conditional UPDATE is atomic on both backends, so of several
/// workers claiming one source exactly one succeeds.
pub async fn claim_source(
    db: &impl ConnectionTrait,
    id: i64,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<bool, DbErr> {
    let claimed = source::Entity::update_many()
        .col_expr(source::Column::LeaseOwner, Expr::value(owner))
        .col_expr(source::Column::LeaseUntil, Expr::value(to_micros(lease_until)))
        .col_expr(source::Column::NextRunAt, Expr::value(next_run_at.map(to_micros)))
        .filter(source::Column::Id.eq(id))
        .filter(claimable(to_micros(now)))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Each source of a project with its consecutive failures, for alerts.
pub async fn source_failures(db: &impl ConnectionTrait, project_id: i64) -> Result<Vec<(i64, i32)>, DbErr> {
    source::Entity::find()
        .select_only()
        .column(source::Column::Id)
        .column(source::Column::ConsecutiveFailures)
        .filter(source::Column::ProjectId.eq(project_id))
        .into_tuple()
        .all(db)
        .await
}

/// Records a run and, when `owner` held the lease, releases it.
pub async fn record_run(db: &impl ConnectionTrait, id: i64, run: &RunRecord, owner: Option<&str>) -> Result<(), DbErr> {
    let values = to_json(&run.values)?;
    let mut update = source::Entity::update_many()
        .col_expr(source::Column::LastRunAt, Expr::value(to_micros(run.at)))
        .col_expr(source::Column::LastValues, Expr::value(values))
        .col_expr(source::Column::LastError, Expr::value(run.error.clone()))
        .filter(source::Column::Id.eq(id));
    update = if run.error.is_none() {
        update
            .col_expr(source::Column::LastSuccessAt, Expr::value(to_micros(run.at)))
            .col_expr(source::Column::ConsecutiveFailures, Expr::value(0))
    } else {
        update.col_expr(source::Column::ConsecutiveFailures, Expr::col(source::Column::ConsecutiveFailures).add(1))
    };
    update.exec(db).await?;
    if let Some(owner) = owner {
        source::Entity::update_many()
            .col_expr(source::Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(source::Column::LeaseUntil, Expr::value(Option::<i64>::None))
            .filter(source::Column::Id.eq(id))
            .filter(source::Column::LeaseOwner.eq(owner))
            .exec(db)
            .await?;
    }
    Ok(())
}

fn claimable(now: i64) -> Condition {
    Condition::all()
        .add(source::Column::Enabled.eq(true))
        .add(source::Column::NextRunAt.lte(now))
        .add(Condition::any().add(source::Column::LeaseUntil.is_null()).add(source::Column::LeaseUntil.lt(now)))
}

fn spec_columns(spec: &SourceSpec) -> Result<source::ActiveModel, DbErr> {
    Ok(source::ActiveModel {
        name: Set(spec.name.clone()),
        url: Set(spec.url.clone()),
        method: Set(spec.method.clone()),
        headers: Set(to_json(&spec.headers)?),
        body: Set(spec.body.as_ref().map(|b| b.to_string())),
        schedule: Set(spec.schedule.clone()),
        timeout_ms: Set(spec.timeout_ms.map(|t| t as i64)),
        enabled: Set(spec.enabled),
        mappings: Set(to_json(&spec.mappings)?),
        ..Default::default()
    })
}

async fn hydrate(db: &impl ConnectionTrait, rows: Vec<source::Model>) -> Result<Vec<Source>, DbErr> {
    let ids: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
    let codes: HashMap<i64, String> = project::Entity::find()
        .filter(project::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.code))
        .collect();
    rows.into_iter().map(|r| from_row(r, &codes)).collect()
}

fn from_row(r: source::Model, codes: &HashMap<i64, String>) -> Result<Source, DbErr> {
    let bad = |what: &str, e: serde_json::Error| DbErr::Custom(format!("source {} has unreadable {what}: {e}", r.id));
    let spec = SourceSpec {
        project: codes.get(&r.project_id).cloned().unwrap_or_default(),
        name: r.name.clone(),
        url: r.url.clone(),
        method: r.method.clone(),
        headers: serde_json::from_str(&r.headers).map_err(|e| bad("headers", e))?,
        body: r.body.as_deref().map(serde_json::from_str).transpose().map_err(|e| bad("body", e))?,
        schedule: r.schedule.clone(),
        timeout_ms: r.timeout_ms.map(|t| t as u64),
        enabled: r.enabled,
        mappings: serde_json::from_str(&r.mappings).map_err(|e| bad("mappings", e))?,
    };
    let last_values = r.last_values.as_deref().map(serde_json::from_str).transpose().map_err(|e| bad("values", e))?;
    Ok(Source {
        id: r.id,
        project_id: r.project_id,
        spec,
        last_run_at: r.last_run_at.map(from_micros),
        last_success_at: r.last_success_at.map(from_micros),
        last_error: r.last_error,
        last_values,
        consecutive_failures: r.consecutive_failures,
        next_run_at: r.next_run_at.map(from_micros),
        created_at: from_micros(r.created_at),
        updated_at: from_micros(r.updated_at),
    })
}
