use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Results {
    Table,
    Id,
    ProjectId,
    Value,
    ComputedAt,
    Revision,
    Coverage,
    Breakdown,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Results::Table)
                    .col(id(Results::Id))
                    .col(ColumnDef::new(Results::ProjectId).big_integer().not_null())
                    .col(ColumnDef::new(Results::Value).double().not_null())
                    .col(ColumnDef::new(Results::ComputedAt).big_integer().not_null())
                    .col(ColumnDef::new(Results::Revision).big_integer().not_null())
                    .col(ColumnDef::new(Results::Coverage).double().not_null())
                    // Per-indicator contributions as a JSON array.
                    .col(ColumnDef::new(Results::Breakdown).text().not_null())
                    .foreign_key(&mut belongs_to_project(Results::Table, Results::ProjectId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_results_history")
                    .table(Results::Table)
                    .col(Results::ProjectId)
                    .col(Results::ComputedAt)
                    .col(Results::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Results::Table).to_owned()).await
    }
}
