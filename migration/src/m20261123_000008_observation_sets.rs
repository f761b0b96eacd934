use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{belongs_to_project, big, drop_table, id, string, text};
use crate::m20261123_000003_observations as per_value;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ObservationSets {
    Table,
    Id,
    ProjectId,
    ObservedAt,
    ReceivedAt,
    Source,
    Readings,
}

/// One row per push or pull instead of one per value: an ingest writes a
/// tenth of the rows and index entries, which was most of its cost. The
/// values of a set are a JSON object, indicator key to number.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ObservationSets::Table)
                    .col(id(ObservationSets::Id))
                    .col(big(ObservationSets::ProjectId))
                    // Microseconds since the Unix epoch.
                    .col(big(ObservationSets::ObservedAt))
                    .col(big(ObservationSets::ReceivedAt))
                    .col(string(ObservationSets::Source))
                    .col(text(ObservationSets::Readings))
                    .foreign_key(&mut belongs_to_project(ObservationSets::Table, ObservationSets::ProjectId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_observation_sets_history")
                    .table(ObservationSets::Table)
                    .col(ObservationSets::ProjectId)
                    .col(ObservationSets::ObservedAt)
                    .col(ObservationSets::Id)
                    .to_owned(),
            )
            .await?;
        // Written as KOI writes readings: compact, every digit of a double
        // (SQLite's own JSON and CAST print 15 digits).
        let number = match manager.get_database_backend() {
            DbBackend::Postgres => "CAST(value AS TEXT)",
            _ => "printf('%!.17g', value)",
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO observation_sets (project_id, observed_at, received_at, source, readings) \
             SELECT project_id, observed_at, received_at, source, \
             '{{' || string_agg('\"' || indicator_key || '\":' || {number}, ',' ORDER BY id) || '}}' \
             FROM observations GROUP BY project_id, observed_at, received_at, source ORDER BY min(id)"
        ))
        .await?;
        drop_table(manager, per_value::Observations::Table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        per_value::Migration.up(manager).await?;
        let (pairs, value) = match manager.get_database_backend() {
            DbBackend::Postgres => ("json_each_text(s.readings::json)", "j.value::float8"),
            _ => ("json_each(s.readings)", "j.value"),
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO observations (project_id, indicator_key, value, observed_at, received_at, source) \
                 SELECT s.project_id, j.key, {value}, s.observed_at, s.received_at, s.source \
                 FROM observation_sets s CROSS JOIN {pairs} AS j ORDER BY s.id"
            ))
            .await?;
        drop_table(manager, ObservationSets::Table).await
    }
}
