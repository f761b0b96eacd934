use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, float};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum LatestValues {
    Table,
    ProjectId,
    IndicatorKey,
    Value,
    ObservedAt,
}

/// Each indicator's latest observation, kept by the ingest transaction, so
/// scoring reads one row per indicator instead of searching the history.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_table(manager).await?;
        // Databases created before this table: derive it from the history
        // (latest observed_at, ties to the last received).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO latest_values (project_id, indicator_key, value, observed_at) \
                 SELECT o.project_id, o.indicator_key, o.value, o.observed_at FROM observations o \
                 WHERE NOT EXISTS (SELECT 1 FROM observations n WHERE n.project_id = o.project_id \
                 AND n.indicator_key = o.indicator_key \
                 AND (n.observed_at > o.observed_at OR (n.observed_at = o.observed_at AND n.id > o.id)))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, LatestValues::Table).await
    }
}

/// The table as this migration made it (a later one's `down` makes it again).
pub async fn create_table(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LatestValues::Table)
                .col(big(LatestValues::ProjectId))
                .col(ColumnDef::new(LatestValues::IndicatorKey).string_len(64).not_null())
                .col(float(LatestValues::Value))
                .col(big(LatestValues::ObservedAt))
                .primary_key(Index::create().col(LatestValues::ProjectId).col(LatestValues::IndicatorKey))
                .foreign_key(&mut belongs_to_project(LatestValues::Table, LatestValues::ProjectId))
                .to_owned(),
        )
        .await
}
