use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_index, drop_table, id, string, text};
use crate::m20261123_000004_results::Results;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Point {
    At,
    Point,
}

#[derive(DeriveIden)]
enum Imports {
    Table,
    Id,
    ProjectId,
    State,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ObservationSets {
    Table,
    ImportId,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    ProjectId,
    State,
    FromAt,
    ToAt,
    Cursor,
    Points,
    Error,
    CreatedAt,
    UpdatedAt,
}

const OLD: &str = "idx_results_history_points";
const NEW: &str = "idx_results_event_time";

/// History by event time: each result gets `at`, the time its values
/// describe, and history pages are read in `at` order. Background jobs
/// (recomputing history after late values, rescoring after a config
/// change) are stored so they survive a restart; a project has at most one
/// job still to run, whose `cursor..to_at` is the range of its history not
/// yet recomputed. An import is stored in chunks of its own transactions,
/// invisible (`observation_sets.import_id` of an `imports` row still
/// `staging`) until one small transaction publishes it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = ColumnDef::new(Point::At).big_integer().not_null().default(0).to_owned();
        manager.alter_table(Table::alter().table(Results::Table).add_column(add).to_owned()).await?;
        let db = manager.get_connection();
        // The old `point` starts with computed_at, which the new one
        // replaces by `at`: the rest of the text is unchanged.
        db.execute_unprepared("UPDATE results SET at = computed_at").await?;
        manager.create_index(history_index(NEW, Point::At)).await?;
        drop_index(manager, Results::Table, OLD).await?;
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(id(Jobs::Id))
                    .col(string(Jobs::Kind))
                    .col(big(Jobs::ProjectId))
                    .col(string(Jobs::State))
                    .col(big(Jobs::FromAt))
                    .col(ColumnDef::new(Jobs::ToAt).big_integer().null())
                    .col(big(Jobs::Cursor))
                    .col(big(Jobs::Points))
                    .col(text(Jobs::Error))
                    .col(big(Jobs::CreatedAt))
                    .col(big(Jobs::UpdatedAt))
                    .foreign_key(&mut belongs_to_project(Jobs::Table, Jobs::ProjectId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_project")
                    .table(Jobs::Table)
                    .col(Jobs::ProjectId)
                    .col(Jobs::State)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Imports::Table)
                    .col(id(Imports::Id))
                    .col(big(Imports::ProjectId))
                    .col(string(Imports::State))
                    .col(big(Imports::UpdatedAt))
                    .foreign_key(&mut belongs_to_project(Imports::Table, Imports::ProjectId))
                    .to_owned(),
            )
            .await?;
        let import_id = ColumnDef::new(ObservationSets::ImportId).big_integer().null().to_owned();
        manager.alter_table(Table::alter().table(ObservationSets::Table).add_column(import_id).to_owned()).await?;
        // Partial: pushes (no import) add no entry to it.
        db.execute_unprepared(
            "CREATE INDEX idx_observation_sets_import ON observation_sets (import_id) WHERE import_id IS NOT NULL",
        )
        .await?;
        // History stored before event time was stamped with the time it was
        // computed: every project with values is recomputed from its first
        // observation by a background job.
        db.execute_unprepared(
            "INSERT INTO jobs (kind, project_id, state, from_at, to_at, cursor, points, error, created_at, updated_at) \
             SELECT 'recompute', project_id, 'pending', MIN(observed_at), NULL, MIN(observed_at), 0, '', MAX(received_at), MAX(received_at) \
             FROM observation_sets GROUP BY project_id",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Jobs::Table).await?;
        // Imports still staged were never acknowledged.
        let db = manager.get_connection();
        db.execute_unprepared(
            "DELETE FROM observation_sets WHERE import_id IN (SELECT id FROM imports WHERE state = 'staging')",
        )
        .await?;
        drop_index(manager, ObservationSets::Table, "idx_observation_sets_import").await?;
        let drop = Table::alter().table(ObservationSets::Table).drop_column(ObservationSets::ImportId).to_owned();
        manager.alter_table(drop).await?;
        drop_table(manager, Imports::Table).await?;
        manager.create_index(history_index(OLD, Results::ComputedAt)).await?;
        drop_index(manager, Results::Table, NEW).await?;
        manager.alter_table(Table::alter().table(Results::Table).drop_column(Point::At).to_owned()).await
    }
}

fn history_index(name: &str, time: impl IntoIden) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(Results::Table)
        .col(Results::ProjectId)
        .col(time)
        .col(Results::Id)
        .col(Point::Point)
        .to_owned()
}
