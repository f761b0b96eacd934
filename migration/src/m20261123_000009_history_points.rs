use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::drop_index;
use crate::m20261123_000004_results::Results;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Point {
    Point,
}

const OLD: &str = "idx_results_history";
const NEW: &str = "idx_results_history_points";

/// Each result also stores its history point as text, `computed_at,value,
/// coverage,revision`, in an index with the history order: a history page
/// is then read from the index alone and sent as one value, without the
/// database formatting hundreds of floats per request.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = ColumnDef::new(Point::Point).text().not_null().default("").to_owned();
        manager.alter_table(Table::alter().table(Results::Table).add_column(add).to_owned()).await?;
        // Every digit of a double: SQLite's CAST prints 15, `%!.17g` enough;
        // PostgreSQL's CAST prints the shortest exact form.
        let number = |column: &str| match manager.get_database_backend() {
            DbBackend::Postgres => format!("CAST({column} AS TEXT)"),
            _ => format!("printf('%!.17g', {column})"),
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE results SET point = CAST(computed_at AS TEXT) || ',' || {} || ',' || {} || ',' || \
                 CAST(revision AS TEXT)",
                number("value"),
                number("coverage")
            ))
            .await?;
        manager.create_index(history_index(NEW).col(Point::Point).to_owned()).await?;
        drop_index(manager, Results::Table, OLD).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(history_index(OLD)).await?;
        drop_index(manager, Results::Table, NEW).await?;
        manager.alter_table(Table::alter().table(Results::Table).drop_column(Point::Point).to_owned()).await
    }
}

fn history_index(name: &str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(Results::Table)
        .col(Results::ProjectId)
        .col(Results::ComputedAt)
        .col(Results::Id)
        .to_owned()
}
