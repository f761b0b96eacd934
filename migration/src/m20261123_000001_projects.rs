use sea_orm_migration::prelude::*;

use crate::columns::id;

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
                    .col(ColumnDef::new(Projects::Title).string().not_null())
                    .col(ColumnDef::new(Projects::Description).text().not_null())
                    .col(ColumnDef::new(Projects::Revision).big_integer().not_null())
                    // Bumped by every ingest: the UPDATE that serialises
                    // computations of one project.
                    .col(ColumnDef::new(Projects::IngestSeq).big_integer().not_null().default(0))
                    .col(ColumnDef::new(Projects::CreatedAt).big_integer().not_null())
                    .col(ColumnDef::new(Projects::UpdatedAt).big_integer().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Projects::Table).to_owned()).await
    }
}
