//! The only place SQL lives: entities, connection set-up and queries.

mod alert_rules;
mod alert_states;
mod breakdown;
mod bulk;
mod chart;
mod checkpoint;
mod connect;
pub mod entity;
mod flush;
mod history_index;
mod imports;
mod jobs;
mod json;
mod keys;
mod latest;
mod newest;
mod observations;
mod outbox;
mod packed;
mod page;
mod project_cache;
mod projects;
mod results;
mod resume;
mod retention;
mod rollup_build;
mod rollups;
mod sources;
mod sqlite_cells;
mod sqlite_open;
mod tier_read;
mod time;
mod timeline;

pub use alert_rules::{
    AlertRule, delete_rule, find_rule, insert_rule, project_rules, projects_with_rules, replace_rule,
};
pub use alert_states::{
    ActiveAlert, AlertEvent, AlertFilter, AlertStateRow, Transition, active_alerts, alert_history, apply_transition,
    claim_resend, due_resends, project_states,
};
pub use bulk::insert_all;
pub use chart::{Bucket, Series, chart};
pub use checkpoint::checkpoint_wal;
pub use connect::{connect, migrate};
pub use flush::{Flush, connect_ingest};
pub use history_index::index_tail;
pub use imports::{begin_import, mark_import, tidy_imports};
pub use jobs::{
    JobView, Pending, advance, find_job, note_failure, pending_job, project_jobs, projects_with_jobs, widen,
};
pub use keys::{ApiKey, NewKey, find_active_key, insert_key, list_keys, revoke_key};
pub use latest::{latest_rows, latest_values};
pub use newest::{IndexNow, newest_points};
pub use observations::{NewObservations, Observation, observation_history, observation_rows};
pub use outbox::{
    Delivery, NewDelivery, claim_delivery, enqueue, mark_delivered, mark_failed, oldest_undelivered, undelivered,
};
pub use page::{Cursor, Page, PageRequest};
pub use project_cache::ProjectCache;
pub use projects::{
    IngestLock, Project, ProjectError, create_project, delete_project, find_project, list_projects, lock_project,
    lock_projects, remove_indicator, replace_project, upsert_indicator,
};
pub use results::{HistoryPoint, IndexResult, latest_result, result_history, result_rows};
pub use resume::{Resumed, resume_projects};
pub use retention::{project_overrides, raw_from, retention_overrides, set_overrides, sweep_raw, sweep_tier};
pub use rollup_build::{Built, build_rollups, built_to, history_from, rollups_due, store_minutes};
pub use rollups::{Cells, HistoryChanges, Kind, Span, update_rollups};
pub use sources::{
    RunRecord, Source, claim_source, delete_source, due_sources, find_source, insert_source, list_sources, record_run,
    source_failures, update_source,
};
pub use time::{from_micros, to_micros};
pub use timeline::{
    StoredReading, delete_points, history_end, next_observation, readings, readings_chunk, stale_projects, state_before,
};
