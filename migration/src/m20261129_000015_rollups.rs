use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, float};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Rollups {
    Table,
    ProjectId,
    Series,
    Tier,
    Bucket,
    N,
    Total,
    Low,
    High,
    FirstAt,
    FirstValue,
    LastAt,
    LastValue,
}

#[derive(DeriveIden, Clone, Copy)]
enum RollupProgress {
    Table,
    ProjectId,
    BuiltTo,
}

#[derive(DeriveIden, Clone, Copy)]
enum Retention {
    Table,
    ProjectId,
    Raw,
    Minute,
    Hour,
    Day,
    RawFrom,
}

/// History rollups and retention. `rollups` pre-aggregates the index
/// (`series` '') and each indicator (`series` = its key) per bucket of a
/// tier (60, 3600, 86400 s): count, sum, min, max, first and last, which
/// answer any step that is a multiple of a tier exactly. A background
/// builder appends to them: `rollup_progress.built_to` (µs, minute-aligned)
/// says every tier holds exactly the history before it; readers take the
/// raw rows from there on. A project without a progress row (every one
/// stored before this migration) has none built yet.
/// `retention` holds a project's overrides of the configured periods
/// (seconds, 0 = forever, NULL = the configured one) and how far its raw
/// points have been deleted.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let series = ColumnDef::new(Rollups::Series).string_len(64).not_null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Rollups::Table)
                    .col(big(Rollups::ProjectId))
                    .col(series)
                    .col(big(Rollups::Tier))
                    .col(big(Rollups::Bucket))
                    .col(big(Rollups::N))
                    .col(float(Rollups::Total))
                    .col(float(Rollups::Low))
                    .col(float(Rollups::High))
                    .col(big(Rollups::FirstAt))
                    .col(float(Rollups::FirstValue))
                    .col(big(Rollups::LastAt))
                    .col(float(Rollups::LastValue))
                    .primary_key(
                        Index::create()
                            .col(Rollups::ProjectId)
                            .col(Rollups::Series)
                            .col(Rollups::Tier)
                            .col(Rollups::Bucket),
                    )
                    .foreign_key(&mut belongs_to_project(Rollups::Table, Rollups::ProjectId))
                    .to_owned(),
            )
            .await?;
        // Retention deletes old buckets of a tier across projects.
        manager
            .create_index(
                Index::create()
                    .name("idx_rollups_age")
                    .table(Rollups::Table)
                    .col(Rollups::Tier)
                    .col(Rollups::Bucket)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RollupProgress::Table)
                    .col(big(RollupProgress::ProjectId).primary_key())
                    .col(big(RollupProgress::BuiltTo))
                    .foreign_key(&mut belongs_to_project(RollupProgress::Table, RollupProgress::ProjectId))
                    .to_owned(),
            )
            .await?;
        let period = |c: Retention| ColumnDef::new(c).big_integer().null().to_owned();
        manager
            .create_table(
                Table::create()
                    .table(Retention::Table)
                    .col(big(Retention::ProjectId).primary_key())
                    .col(period(Retention::Raw))
                    .col(period(Retention::Minute))
                    .col(period(Retention::Hour))
                    .col(period(Retention::Day))
                    .col(period(Retention::RawFrom))
                    .foreign_key(&mut belongs_to_project(Retention::Table, Retention::ProjectId))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Retention::Table).await?;
        drop_table(manager, RollupProgress::Table).await?;
        drop_table(manager, Rollups::Table).await
    }
}
