use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::m20261129_000015_rollups::{Rollups, age_index, rollups_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RollupsRebuilt {
    Table,
}

const KEY: &str = "project_id, series, tier, bucket";
const AGGREGATES: &str = "n, total, low, high, first_at, first_value, last_at, last_value";

/// A chart reads one project's buckets of one tier in key order: 8,760
/// rows for a year of hours. Both databases kept the rows where they were
/// written, minute after minute across all projects, so those lay on as
/// many pages, each read for one row. PostgreSQL's primary key now carries
/// the aggregates, so that a chart is an index-only scan of its leaf pages,
/// where the buckets lie side by side; SQLite's table is rebuilt as WITHOUT
/// ROWID, stored in key order itself (and no bigger than before: its key
/// index goes). Once, on upgrade: 13.9 M buckets took 58 s on SQLite and
/// 20 s on PostgreSQL (`bench/history.md`).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => primary_key(manager, &format!("INCLUDE ({AGGREGATES})")).await,
            _ => rebuild(manager, rollups_table(RollupsRebuilt::Table).extra("WITHOUT ROWID").to_owned()).await,
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        match manager.get_database_backend() {
            DbBackend::Postgres => primary_key(manager, "").await,
            _ => rebuild(manager, rollups_table(RollupsRebuilt::Table)).await,
        }
    }

    /// A rebuild stopped halfway leaves the rollups as they were.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn primary_key(manager: &SchemaManager<'_>, include: &str) -> Result<(), DbErr> {
    let sql = format!(
        "ALTER TABLE rollups DROP CONSTRAINT rollups_pkey, ADD CONSTRAINT rollups_pkey PRIMARY KEY ({KEY}) {include}"
    );
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

/// Copies the rollups into `table` (named `RollupsRebuilt`), in key order,
/// and puts it in their place.
async fn rebuild(manager: &SchemaManager<'_>, table: TableCreateStatement) -> Result<(), DbErr> {
    manager.create_table(table).await?;
    let columns = format!("{KEY}, {AGGREGATES}");
    let copy = format!("INSERT INTO rollups_rebuilt ({columns}) SELECT {columns} FROM rollups ORDER BY {KEY}");
    manager.get_connection().execute_unprepared(&copy).await?;
    manager.drop_table(Table::drop().table(Rollups::Table).to_owned()).await?;
    manager.rename_table(Table::rename().table(RollupsRebuilt::Table, Rollups::Table).to_owned()).await?;
    manager.create_index(age_index(Rollups::Table)).await
}
