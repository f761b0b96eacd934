use std::collections::BTreeMap;

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::columns::{belongs_to_project, big, drop_table, text};
use crate::m20261123_000007_latest_values::{self as latest_values, LatestValues};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Key → (value, observed_at µs), as the JSON `{"key": [value, at]}`.
type Readings = BTreeMap<String, (f64, i64)>;

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
        let mut projects: BTreeMap<i64, Readings> = BTreeMap::new();
        for row in rows {
            let (project, key): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let (value, at): (f64, i64) = (row.try_get_by_index(2)?, row.try_get_by_index(3)?);
            projects.entry(project).or_default().insert(key, (value, at));
        }
        for (project, readings) in projects {
            let text = serde_json::to_string(&readings).map_err(|e| DbErr::Custom(e.to_string()))?;
            let insert = Query::insert()
                .into_table(ProjectLatest::Table)
                .columns([ProjectLatest::ProjectId, ProjectLatest::Readings])
                .values_panic([project.into(), text.into()])
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        drop_table(manager, LatestValues::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        latest_values::create_table(manager).await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(backend, "SELECT project_id, readings FROM project_latest"))
            .await?;
        for row in rows {
            let (project, text): (i64, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
            let readings: Readings = serde_json::from_str(&text)
                .map_err(|e| DbErr::Custom(format!("unreadable latest values of project {project}: {e}")))?;
            for (key, (value, at)) in readings {
                let insert = Query::insert()
                    .into_table(LatestValues::Table)
                    .columns([
                        LatestValues::ProjectId,
                        LatestValues::IndicatorKey,
                        LatestValues::Value,
                        LatestValues::ObservedAt,
                    ])
                    .values_panic([project.into(), key.into(), value.into(), at.into()])
                    .to_owned();
                manager.exec_stmt(insert).await?;
            }
        }
        drop_table(manager, ProjectLatest::Table).await
    }
}
