use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::only_on;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite's side of `m20261130_000017_rollup_reads`: a chart over a year
/// reads 8,760 hour buckets of one series, which lie on as many table
/// pages, since buckets are written minute after minute across projects.
/// This index holds the hour and day buckets with their aggregates, in
/// key order (the minute buckets, most of the rows and of the writes, are
/// not in it, so pushes do not pay for it), and chart reads of those tiers
/// are answered from it alone. They name its condition word for word
/// (`tier >= 3600000000`), which is how SQLite knows that a partial index
/// applies. PostgreSQL's primary key already covers them.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        only_on(
            manager,
            DbBackend::Sqlite,
            "CREATE INDEX idx_rollups_coarse ON rollups (project_id, series, tier, bucket, n, total, low, high, \
             first_at, first_value, last_at, last_value) WHERE tier >= 3600000000",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        only_on(manager, DbBackend::Sqlite, "DROP INDEX idx_rollups_coarse").await
    }
}
