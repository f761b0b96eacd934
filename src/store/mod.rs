//! The only place SQL lives: entities, connection set-up and queries.

mod breakdown;
mod bulk;
mod connect;
pub mod entity;
mod keys;
mod observations;
mod page;
mod project_cache;
mod projects;
mod results;
mod sources;
mod time;

pub use connect::{connect, migrate};
pub use keys::{ApiKey, NewKey, find_active_key, insert_key, list_keys, revoke_key};
pub use observations::{
    NewObservation, Observation, insert_observations, latest_values, observation_history, save_latest,
};
pub use page::{Cursor, Page, PageRequest};
pub use project_cache::ProjectCache;
pub use projects::{
    Project, ProjectError, create_project, delete_project, find_project, list_projects, lock_project, remove_indicator,
    replace_project, upsert_indicator,
};
pub use results::{
    Agg, Bucket, HistoryPoint, IndexResult, insert_results, latest_result, result_buckets, result_history,
};
pub use sources::{
    RunRecord, Source, claim_source, delete_source, due_sources, find_source, insert_source, list_sources, record_run,
    update_source,
};
pub use time::{from_micros, to_micros};
