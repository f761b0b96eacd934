//! The only place SQL lives: entities, connection set-up and queries.

mod connect;
pub mod entity;
mod observations;
mod page;
mod projects;
mod results;
mod sources;
mod time;

pub use connect::{connect, migrate};
pub use observations::{Observation, insert_observations, latest_values, observation_history};
pub use page::{Cursor, Page, PageRequest};
pub use projects::{
    Project, ProjectError, create_project, delete_project, find_project, list_projects, lock_project, remove_indicator,
    replace_project, upsert_indicator,
};
pub use results::{
    Agg, Bucket, HistoryPoint, IndexResult, insert_result, latest_result, result_buckets, result_history,
};
pub use sources::{
    RunRecord, Source, claim_source, delete_source, due_sources, find_source, insert_source, list_sources, record_run,
    update_source,
};
pub use time::{from_micros, to_micros};
