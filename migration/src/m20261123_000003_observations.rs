use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, float, id, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Observations {
    Table,
    Id,
    ProjectId,
    IndicatorKey,
    Value,
    ObservedAt,
    ReceivedAt,
    Source,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Observations::Table)
                    .col(id(Observations::Id))
                    .col(big(Observations::ProjectId))
                    .col(ColumnDef::new(Observations::IndicatorKey).string_len(64).not_null())
                    .col(float(Observations::Value))
                    // Microseconds since the Unix epoch: sorts and buckets the
                    // same way on every backend.
                    .col(big(Observations::ObservedAt))
                    .col(big(Observations::ReceivedAt))
                    .col(string(Observations::Source))
                    .foreign_key(&mut belongs_to_project(Observations::Table, Observations::ProjectId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_observations_latest")
                    .table(Observations::Table)
                    .col(Observations::ProjectId)
                    .col(Observations::IndicatorKey)
                    .col(Observations::ObservedAt)
                    .col(Observations::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Observations::Table).await
    }
}
