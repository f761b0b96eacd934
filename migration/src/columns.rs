//! Column and key definitions every table shares.

use sea_orm_migration::prelude::*;

use crate::m20261123_000001_projects::Projects;

/// The `BIGINT` auto-increment primary key.
pub fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().auto_increment().primary_key().to_owned()
}

/// A row that belongs to a project and goes when the project is deleted.
pub fn belongs_to_project(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Projects::Table, Projects::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}
