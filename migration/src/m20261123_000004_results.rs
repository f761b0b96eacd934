use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, float, id, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum Results {
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
                    .col(big(Results::ProjectId))
                    .col(float(Results::Value))
                    .col(big(Results::ComputedAt))
                    .col(big(Results::Revision))
                    .col(float(Results::Coverage))
                    // Per-indicator contributions as a JSON array.
                    .col(text(Results::Breakdown))
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
        drop_table(manager, Results::Table).await
    }
}
