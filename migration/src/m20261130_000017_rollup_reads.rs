use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::only_on;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A chart reads one project's buckets of one tier in key order: 8,760
/// rows for a year of hours. PostgreSQL keeps rows where they were
/// written, minute after minute across all projects, so those lay on as
/// many heap pages, each read for one row. Its primary key now carries the
/// aggregates, so that a chart is an index-only scan of the key's leaf
/// pages, where the buckets lie side by side. Once, on upgrade: 13.9 M
/// buckets took 20 s. Not so on SQLite: rebuilding its table WITHOUT
/// ROWID did the same for its charts but cost 11 % of the push rate over
/// 1,000 projects (`bench/history.md`); it gets an index of hours and days
/// instead (`m20261130_000018_rollup_hours_index`).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        primary_key(manager, "INCLUDE (n, total, low, high, first_at, first_value, last_at, last_value)").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        primary_key(manager, "").await
    }
}

async fn primary_key(manager: &SchemaManager<'_>, include: &str) -> Result<(), DbErr> {
    let sql = format!(
        "ALTER TABLE rollups DROP CONSTRAINT rollups_pkey, \
         ADD CONSTRAINT rollups_pkey PRIMARY KEY (project_id, series, tier, bucket) {include}"
    );
    only_on(manager, DbBackend::Postgres, &sql).await
}
