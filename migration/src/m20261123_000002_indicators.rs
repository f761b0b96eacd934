use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, id};

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
                    .col(ColumnDef::new(Indicators::ProjectId).big_integer().not_null())
                    .col(ColumnDef::new(Indicators::Ordinal).integer().not_null())
                    .col(ColumnDef::new(Indicators::Key).string_len(64).not_null())
                    .col(ColumnDef::new(Indicators::Title).string().not_null())
                    .col(ColumnDef::new(Indicators::Unit).string().not_null())
                    .col(ColumnDef::new(Indicators::Weight).double().not_null())
                    // Always read and written with the indicator: JSON array.
                    .col(ColumnDef::new(Indicators::Intervals).text().not_null())
                    .col(ColumnDef::new(Indicators::MaxAgeSecs).big_integer().null())
                    .foreign_key(&mut belongs_to_project(Indicators::Table, Indicators::ProjectId))
                    .index(Index::create().unique().col(Indicators::ProjectId).col(Indicators::Key))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Indicators::Table).to_owned()).await
    }
}
