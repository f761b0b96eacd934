use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr, Statement, TransactionTrait,
};

use super::entity::{indicator, project};
use super::{from_micros, to_micros};
use crate::domain::{IndicatorSpec, MissingPolicy, ProjectSpec};

/// A project as stored, with its indicators in their configured order.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub description: String,
    pub revision: i64,
    pub missing_policy: MissingPolicy,
    pub indicators: Vec<IndicatorSpec>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("project not found")]
    NotFound,
    #[error("indicator not found")]
    IndicatorNotFound,
    #[error("a project with this code already exists")]
    Conflict,
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub async fn find_project(db: &impl ConnectionTrait, code: &str) -> Result<Option<Project>, DbErr> {
    let Some(row) = project::Entity::find().filter(project::Column::Code.eq(code)).one(db).await? else {
        return Ok(None);
    };
    let mut found = with_indicators(db, vec![row]).await?;
    Ok(found.pop())
}

/// The projects with these ids that exist, in no particular order.
pub(super) async fn find_projects_by_id(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Project>, DbErr> {
    let rows = project::Entity::find().filter(project::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    with_indicators(db, rows).await
}

/// Projects ordered by code, starting after `after`.
pub async fn list_projects(db: &DatabaseConnection, limit: u64, after: Option<&str>) -> Result<Vec<Project>, DbErr> {
    let mut query = project::Entity::find().order_by_asc(project::Column::Code).limit(limit);
    if let Some(after) = after {
        query = query.filter(project::Column::Code.gt(after));
    }
    with_indicators(db, query.all(db).await?).await
}

/// `spec.code` must be set.
pub async fn create_project(db: &DatabaseConnection, spec: &ProjectSpec) -> Result<Project, ProjectError> {
    let txn = db.begin().await?;
    let now = to_micros(Utc::now());
    let row = project::ActiveModel {
        code: Set(spec.code.clone().unwrap_or_default()),
        title: Set(spec.title.clone()),
        description: Set(spec.description.clone()),
        revision: Set(1),
        ingest_seq: Set(0),
        missing_policy: Set(spec.missing_policy.as_str().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ProjectError::Conflict,
        _ => ProjectError::Db(e),
    })?;
    insert_indicators(&txn, row.id, &spec.indicators).await?;
    let created = find_project(&txn, &row.code).await?.ok_or(ProjectError::NotFound)?;
    txn.commit().await?;
    Ok(created)
}

/// Replaces title, description, missing policy and all indicators; creates the project when
/// it does not exist. Returns whether it was created.
pub async fn replace_project(
    db: &DatabaseConnection,
    code: &str,
    spec: &ProjectSpec,
) -> Result<(Project, bool), ProjectError> {
    let txn = db.begin().await?;
    let Some(id) = bump_revision(&txn, code, Some(spec)).await? else {
        txn.rollback().await?;
        let with_code = ProjectSpec { code: Some(code.to_string()), ..spec.clone() };
        return Ok((create_project(db, &with_code).await?, true));
    };
    indicator::Entity::delete_many().filter(indicator::Column::ProjectId.eq(id)).exec(&txn).await?;
    insert_indicators(&txn, id, &spec.indicators).await?;
    let replaced = find_project(&txn, code).await?.ok_or(ProjectError::NotFound)?;
    txn.commit().await?;
    Ok((replaced, false))
}

pub async fn delete_project(db: &DatabaseConnection, code: &str) -> Result<bool, DbErr> {
    let done = project::Entity::delete_many().filter(project::Column::Code.eq(code)).exec(db).await?;
    Ok(done.rows_affected > 0)
}

/// Adds or replaces one indicator, keeping its place in the order. Returns
/// the project and whether the indicator was new.
pub async fn upsert_indicator(
    db: &DatabaseConnection,
    code: &str,
    spec: &IndicatorSpec,
) -> Result<(Project, bool), ProjectError> {
    let txn = db.begin().await?;
    let project = locked_project(&txn, code).await?.ok_or(ProjectError::NotFound)?;
    bump_revision(&txn, code, None).await?;
    let position = project.indicators.iter().position(|i| i.key == spec.key);
    let mut indicators = project.indicators;
    match position {
        Some(at) => indicators[at] = spec.clone(),
        None => indicators.push(spec.clone()),
    }
    indicator::Entity::delete_many().filter(indicator::Column::ProjectId.eq(project.id)).exec(&txn).await?;
    insert_indicators(&txn, project.id, &indicators).await?;
    let updated = find_project(&txn, code).await?.ok_or(ProjectError::NotFound)?;
    txn.commit().await?;
    Ok((updated, position.is_none()))
}

pub async fn remove_indicator(db: &DatabaseConnection, code: &str, key: &str) -> Result<Project, ProjectError> {
    let txn = db.begin().await?;
    let project = locked_project(&txn, code).await?.ok_or(ProjectError::NotFound)?;
    let removed = indicator::Entity::delete_many()
        .filter(indicator::Column::ProjectId.eq(project.id))
        .filter(indicator::Column::Key.eq(key))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ProjectError::IndicatorNotFound);
    }
    bump_revision(&txn, code, None).await?;
    let updated = find_project(&txn, code).await?.ok_or(ProjectError::NotFound)?;
    txn.commit().await?;
    Ok(updated)
}

/// A project as locked for an ingest: enough for a writer to tell whether
/// its copy of the project and of its latest values is still current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IngestLock {
    pub id: i64,
    pub revision: i64,
    pub updated_at: i64,
    /// Counts ingests into the project, this one included.
    pub seq: i64,
}

impl IngestLock {
    /// True when `next` is the very next ingest of the same configuration:
    /// nobody changed the project or ingested into it in between.
    pub fn followed_by(&self, next: &IngestLock) -> bool {
        (self.id, self.revision, self.updated_at, self.seq + 1) == (next.id, next.revision, next.updated_at, next.seq)
    }
}

/// Takes the project's write lock for the rest of the transaction: an UPDATE
/// is a row lock on PostgreSQL and the write lock on SQLite, so concurrent
/// ingests of one project run one after the other.
pub async fn lock_project(txn: &impl ConnectionTrait, code: &str) -> Result<Option<IngestLock>, DbErr> {
    take_lock(txn, code, 1).await
}

/// Takes the project's write lock without counting as an ingest, for work
/// that leaves what writers keep of the project as it is (see `States`);
/// `count_as_ingest` once it changes any of it.
pub async fn hold_project(txn: &impl ConnectionTrait, code: &str) -> Result<Option<IngestLock>, DbErr> {
    take_lock(txn, code, 0).await
}

pub async fn count_as_ingest(txn: &impl ConnectionTrait, project_id: i64) -> Result<(), DbErr> {
    use project::Column::{Id, IngestSeq};
    let update = Query::update()
        .table(project::Entity)
        .value(IngestSeq, Expr::col(IngestSeq).add(1))
        .and_where(Expr::col(Id).eq(project_id))
        .to_owned();
    txn.execute(&update).await?;
    Ok(())
}

async fn take_lock(txn: &impl ConnectionTrait, code: &str, count: i64) -> Result<Option<IngestLock>, DbErr> {
    use project::Column::{Code, Id, IngestSeq, Revision, UpdatedAt};
    let update = Query::update()
        .table(project::Entity)
        .value(IngestSeq, Expr::col(IngestSeq).add(count))
        .and_where(Expr::col(Code).eq(code))
        .returning(Query::returning().columns([Id, Revision, UpdatedAt, IngestSeq]))
        .to_owned();
    let Some(row) = txn.query_one(&update).await? else {
        return Ok(None);
    };
    Ok(Some(IngestLock {
        id: row.try_get_by_index(0)?,
        revision: row.try_get_by_index(1)?,
        updated_at: row.try_get_by_index(2)?,
        seq: row.try_get_by_index(3)?,
    }))
}

/// Takes the write locks of several projects in one statement (an ingest
/// batch names many), by code; a code with no project is left out. On
/// PostgreSQL the rows are locked in code order, so two transactions naming
/// the same projects cannot deadlock; SQLite has one writer anyway.
pub async fn lock_projects(txn: &impl ConnectionTrait, codes: &[&str]) -> Result<Vec<(String, IngestLock)>, DbErr> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let backend = txn.get_database_backend();
    // The codes as one JSON parameter: one statement text whatever their
    // number (with `IN (?, …)` each batch size was a statement of its own,
    // evicting others from the connection's cache of prepared ones).
    let sql = match backend {
        // With `code IN ($1, …)` PostgreSQL also scanned every project
        // twice per batch, building the list again for each row it
        // compared; this plan stays on the indexes, given the writer's
        // random_page_cost (store::connect_ingest).
        DbBackend::Postgres => {
            "WITH locked AS (SELECT l.id FROM \
               (SELECT value AS code FROM jsonb_array_elements_text($1::jsonb) ORDER BY 1) c, \
               LATERAL (SELECT id FROM projects WHERE projects.code = c.code FOR NO KEY UPDATE) l) \
             UPDATE projects SET ingest_seq = ingest_seq + 1 WHERE id = ANY(ARRAY(SELECT id FROM locked)) \
             RETURNING code, id, revision, updated_at, ingest_seq"
        }
        _ => {
            "UPDATE projects SET ingest_seq = ingest_seq + 1 WHERE code IN (SELECT value FROM json_each(?)) \
             RETURNING code, id, revision, updated_at, ingest_seq"
        }
    };
    let values = [serde_json::to_string(codes).expect("strings serialize").into()];
    let rows = txn.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    rows.iter()
        .map(|row| {
            let lock = IngestLock {
                id: row.try_get_by_index(1)?,
                revision: row.try_get_by_index(2)?,
                updated_at: row.try_get_by_index(3)?,
                seq: row.try_get_by_index(4)?,
            };
            Ok((row.try_get_by_index(0)?, lock))
        })
        .collect()
}

/// The project, read after taking its lock.
async fn locked_project(txn: &impl ConnectionTrait, code: &str) -> Result<Option<Project>, DbErr> {
    if lock_project(txn, code).await?.is_none() {
        return Ok(None);
    }
    find_project(txn, code).await
}

/// Bumps the revision (and the texts and policy, when a spec is given); returns the
/// project id, or None when there is no such project.
async fn bump_revision(
    txn: &impl ConnectionTrait,
    code: &str,
    spec: Option<&ProjectSpec>,
) -> Result<Option<i64>, DbErr> {
    let mut update = project::Entity::update_many()
        .col_expr(project::Column::Revision, Expr::col(project::Column::Revision).add(1))
        .col_expr(project::Column::UpdatedAt, Expr::value(to_micros(Utc::now())))
        .filter(project::Column::Code.eq(code));
    if let Some(spec) = spec {
        update = update
            .col_expr(project::Column::Title, Expr::value(spec.title.clone()))
            .col_expr(project::Column::Description, Expr::value(spec.description.clone()))
            .col_expr(project::Column::MissingPolicy, Expr::value(spec.missing_policy.as_str()));
    }
    if update.exec(txn).await?.rows_affected == 0 {
        return Ok(None);
    }
    let row = project::Entity::find().filter(project::Column::Code.eq(code)).one(txn).await?;
    Ok(row.map(|r| r.id))
}

async fn insert_indicators(txn: &impl ConnectionTrait, project_id: i64, specs: &[IndicatorSpec]) -> Result<(), DbErr> {
    if specs.is_empty() {
        return Ok(());
    }
    let rows = specs.iter().enumerate().map(|(i, s)| indicator::ActiveModel {
        project_id: Set(project_id),
        ordinal: Set(i as i32),
        key: Set(s.key.clone()),
        title: Set(s.title.clone()),
        unit: Set(s.unit.clone()),
        weight: Set(s.weight),
        intervals: Set(serde_json::to_string(&s.intervals).unwrap_or_else(|_| "[]".into())),
        max_age_secs: Set(s.max_age_secs),
        ..Default::default()
    });
    indicator::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

async fn with_indicators(db: &impl ConnectionTrait, rows: Vec<project::Model>) -> Result<Vec<Project>, DbErr> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let indicators = indicator::Entity::find()
        .filter(indicator::Column::ProjectId.is_in(ids))
        .order_by_asc(indicator::Column::ProjectId)
        .order_by_asc(indicator::Column::Ordinal)
        .all(db)
        .await?;
    let mut projects = Vec::with_capacity(rows.len());
    for r in rows {
        let missing_policy = MissingPolicy::parse(&r.missing_policy).ok_or_else(|| {
            DbErr::Custom(format!("project {} has an unknown missing_policy {:?}", r.id, r.missing_policy))
        })?;
        projects.push(Project {
            id: r.id,
            code: r.code,
            title: r.title,
            description: r.description,
            revision: r.revision,
            missing_policy,
            indicators: Vec::new(),
            created_at: from_micros(r.created_at),
            updated_at: from_micros(r.updated_at),
        });
    }
    let position: HashMap<i64, usize> = projects.iter().enumerate().map(|(n, p)| (p.id, n)).collect();
    for ind in indicators {
        let intervals = serde_json::from_str(&ind.intervals)
            .map_err(|e| DbErr::Custom(format!("indicator {} has unreadable intervals: {e}", ind.id)))?;
        if let Some(&n) = position.get(&ind.project_id) {
            projects[n].indicators.push(IndicatorSpec {
                key: ind.key,
                title: ind.title,
                unit: ind.unit,
                weight: ind.weight,
                intervals,
                max_age_secs: ind.max_age_secs,
            });
        }
    }
    Ok(projects)
}
