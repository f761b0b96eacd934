use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Observations {
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
                    .col(ColumnDef::new(Observations::ProjectId).big_integer().not_null())
                    .col(ColumnDef::new(Observations::IndicatorKey).string_len(64).not_null())
                    .col(ColumnDef::new(Observations::Value).double().not_null())
                    // Microseconds since the Unix epoch: sorts and buckets the
                    // same way on every backend.
                    .col(ColumnDef::new(Observations::ObservedAt).big_integer().not_null())
                    .col(ColumnDef::new(Observations::ReceivedAt).big_integer().not_null())
                    .col(ColumnDef::new(Observations::Source).string().not_null())
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
        manager.drop_table(Table::drop().table(Observations::Table).to_owned()).await
    }
}
