use sea_orm_migration::prelude::*;

use crate::m20261123_000001_projects::Projects;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Columns {
    MissingPolicy,
}

/// Each project's missing-values policy; existing projects keep the
/// original rule, `zero`.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let column = ColumnDef::new(Columns::MissingPolicy).string_len(16).not_null().default("zero").to_owned();
        manager.alter_table(Table::alter().table(Projects::Table).add_column(column).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Projects::Table).drop_column(Columns::MissingPolicy).to_owned()).await
    }
}
