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
enum RollupBackfills {
    Table,
    ProjectId,
    Cursor,
    EndAt,
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
/// answer any step that is a multiple of a tier exactly. Stores from
/// before this migration get theirs built after the first start, a day at
/// a time, from `rollup_backfills` (readers use the raw points meanwhile).
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
                    .table(RollupBackfills::Table)
                    .col(big(RollupBackfills::ProjectId).primary_key())
                    .col(big(RollupBackfills::Cursor))
                    .col(big(RollupBackfills::EndAt))
                    .foreign_key(&mut belongs_to_project(RollupBackfills::Table, RollupBackfills::ProjectId))
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
        // Every project with stored history gets its rollups built, from its
        // first point or value to the newest one stored now; later writes
        // maintain their own.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO rollup_backfills (project_id, cursor, end_at) \
                 SELECT project_id, MIN(t), MAX(t) FROM ( \
                 SELECT project_id, at AS t FROM results \
                 UNION ALL SELECT project_id, observed_at AS t FROM observation_sets) AS times \
                 GROUP BY project_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Retention::Table).await?;
        drop_table(manager, RollupBackfills::Table).await?;
        drop_table(manager, Rollups::Table).await
    }
}
