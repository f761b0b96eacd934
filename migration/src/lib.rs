pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_projects;
mod m20261123_000002_indicators;
mod m20261123_000003_observations;
mod m20261123_000004_results;
mod m20261123_000005_sources;
mod m20261123_000006_api_keys;
mod m20261123_000007_latest_values;
mod m20261123_000008_observation_sets;
mod m20261123_000009_history_points;
mod m20261123_000010_ingest_flushes;
mod m20261124_000011_missing_policy;
mod m20261124_000012_event_time;
mod m20261125_000014_alerts;
mod m20261129_000015_rollups;
mod m20261130_000016_project_latest;
mod m20261130_000017_rollup_reads;
mod m20261130_000018_rollup_hours_index;
mod m20261201_000019_history_tail;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_projects::Migration),
            Box::new(m20261123_000002_indicators::Migration),
            Box::new(m20261123_000003_observations::Migration),
            Box::new(m20261123_000004_results::Migration),
            Box::new(m20261123_000005_sources::Migration),
            Box::new(m20261123_000006_api_keys::Migration),
            Box::new(m20261123_000007_latest_values::Migration),
            Box::new(m20261123_000008_observation_sets::Migration),
            Box::new(m20261123_000009_history_points::Migration),
            Box::new(m20261123_000010_ingest_flushes::Migration),
            Box::new(m20261124_000011_missing_policy::Migration),
            Box::new(m20261124_000012_event_time::Migration),
            Box::new(m20261125_000014_alerts::Migration),
            Box::new(m20261129_000015_rollups::Migration),
            Box::new(m20261130_000016_project_latest::Migration),
            Box::new(m20261130_000017_rollup_reads::Migration),
            Box::new(m20261130_000018_rollup_hours_index::Migration),
            Box::new(m20261201_000019_history_tail::Migration),
        ]
    }
}
