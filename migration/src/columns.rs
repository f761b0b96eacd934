//! Column and key definitions every table shares.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

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

/// `BIGINT NOT NULL`: ids and microsecond timestamps.
pub fn big(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

/// `DOUBLE NOT NULL`.
pub fn float(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).double().not_null().to_owned()
}

/// `TEXT NOT NULL`: JSON documents and long strings.
pub fn text(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).text().not_null().to_owned()
}

/// `VARCHAR NOT NULL`.
pub fn string(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).string().not_null().to_owned()
}

/// Every migration's `down`: the table it created goes.
pub async fn drop_table(manager: &SchemaManager<'_>, table: impl IntoIden + 'static) -> Result<(), DbErr> {
    manager.drop_table(Table::drop().table(table).to_owned()).await
}

/// Drops an index of `table` by name.
pub async fn drop_index(manager: &SchemaManager<'_>, table: impl IntoIden + 'static, name: &str) -> Result<(), DbErr> {
    manager.drop_index(Index::drop().name(name).table(table).to_owned()).await
}

/// Runs `sql` on `backend` only: a change one backend needs and the other
/// does not.
pub async fn only_on(manager: &SchemaManager<'_>, backend: DbBackend, sql: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == backend {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}
