use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::columns::{belongs_to_project, big, drop_table, text};
use crate::m20261123_000007_latest_values as latest_values;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProjectLatest {
    Table,
    ProjectId,
    Readings,
}

/// Each project's latest values in one row, `{"key": [value, observed_at
/// µs], ...}`, instead of a row per indicator: a push to a project that no
/// other push of its batch touches then writes one row, not one per
/// indicator spread over as many pages. Not additive: servers of an older
/// version must be stopped before this runs (their pushes would fail on
/// the dropped table, never store wrong latest values).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProjectLatest::Table)
                    .col(big(ProjectLatest::ProjectId).primary_key())
                    .col(text(ProjectLatest::Readings))
                    .foreign_key(&mut belongs_to_project(ProjectLatest::Table, ProjectLatest::ProjectId))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT project_id, indicator_key, value, observed_at FROM latest_values",
            ))
            .await?;
        let mut projects: BTreeMap<i64, serde_json::Map<String, serde_json::Value>> = BTreeMap::new();
        for row in rows {
            let (project, key): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let (value, at): (f64, i64) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
            projects.entry(project).or_default().insert(key, serde_json::json!([value, at]));
        }
        let insert = insert_sql(backend, "project_latest (project_id, readings)", 2);
        for (project, readings) in projects {
            let values: [Value; 2] = [project.into(), serde_json::Value::Object(readings).to_string().into()];
            db.execute_raw(Statement::from_sql_and_values(backend, &insert, values)).await?;
        }
        drop_table(manager, latest_values::LatestValues::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        latest_values::create_table(manager).await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(backend, "SELECT project_id, readings FROM project_latest"))
            .await?;
        let insert = insert_sql(backend, "latest_values (project_id, indicator_key, value, observed_at)", 4);
        for row in rows {
            let (project, text): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let readings: BTreeMap<String, (f64, i64)> = serde_json::from_str(&text)
                .map_err(|e| DbErr::Custom(format!("unreadable latest values of project {project}: {e}")))?;
            for (key, (value, at)) in readings {
                let values: [Value; 4] = [project.into(), key.into(), value.into(), at.into()];
                db.execute_raw(Statement::from_sql_and_values(backend, &insert, values)).await?;
            }
        }
        drop_table(manager, ProjectLatest::Table).await
    }
}

/// `INSERT INTO {into} VALUES` with `n` parameters in the backend's syntax.
fn insert_sql(backend: DbBackend, into: &str, n: usize) -> String {
    let params: Vec<String> = match backend {
        DbBackend::Postgres => (1..=n).map(|i| format!("${i}")).collect(),
        _ => vec!["?".to_string(); n],
    };
    format!("INSERT INTO {into} VALUES ({})", params.join(", "))
}
