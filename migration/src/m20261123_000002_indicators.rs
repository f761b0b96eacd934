use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, float, id, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Indicators {
    Table,
    Id,
    ProjectId,
    Ordinal,
    Key,
    Title,
    Unit,
    Weight,
    Intervals,
    MaxAgeSecs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Indicators::Table)
                    .col(id(Indicators::Id))
                    .col(big(Indicators::ProjectId))
                    .col(ColumnDef::new(Indicators::Ordinal).integer().not_null())
                    .col(ColumnDef::new(Indicators::Key).string_len(64).not_null())
                    .col(string(Indicators::Title))
                    .col(string(Indicators::Unit))
                    .col(float(Indicators::Weight))
                    // Always read and written with the indicator: JSON array.
                    .col(text(Indicators::Intervals))
                    .col(ColumnDef::new(Indicators::MaxAgeSecs).big_integer().null())
                    .foreign_key(&mut belongs_to_project(Indicators::Table, Indicators::ProjectId))
                    .index(Index::create().unique().col(Indicators::ProjectId).col(Indicators::Key))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Indicators::Table).await
    }
}
