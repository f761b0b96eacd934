use sea_orm_migration::prelude::*;

use crate::m20261123_000001_projects::Projects;

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
                    .col(ColumnDef::new(Observations::Id).big_integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new(Observations::ProjectId).big_integer().not_null())
                    .col(ColumnDef::new(Observations::IndicatorKey).string_len(64).not_null())
                    .col(ColumnDef::new(Observations::Value).double().not_null())
                    // Microseconds since the Unix epoch: sorts and buckets the
                    // same way on every backend.
                    .col(ColumnDef::new(Observations::ObservedAt).big_integer().not_null())
                    .col(ColumnDef::new(Observations::ReceivedAt).big_integer().not_null())
                    .col(ColumnDef::new(Observations::Source).string().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Observations::Table, Observations::ProjectId)
                            .to(Projects::Table, Projects::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
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
