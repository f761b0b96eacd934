use sea_orm_migration::prelude::*;

use crate::columns::{big, drop_table, id, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Projects {
    Table,
    Id,
    Code,
    Title,
    Description,
    Revision,
    IngestSeq,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Projects::Table)
                    .col(id(Projects::Id))
                    .col(ColumnDef::new(Projects::Code).string_len(64).not_null().unique_key())
                    .col(string(Projects::Title))
                    .col(text(Projects::Description))
                    .col(big(Projects::Revision))
                    // Bumped by every ingest: the UPDATE that serialises
                    // computations of one project.
                    .col(ColumnDef::new(Projects::IngestSeq).big_integer().not_null().default(0))
                    .col(big(Projects::CreatedAt))
                    .col(big(Projects::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Projects::Table).await
    }
}
