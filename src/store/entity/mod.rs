//! sea-orm entities, one per table; behaviour lives in the sibling query
//! modules of `store`.

pub mod alert_delivery;
pub mod alert_event;
pub mod alert_rule;
pub mod alert_state;
pub mod api_key;
pub mod import;
pub mod indicator;
pub mod job;
pub mod observation_set;
pub mod project;
pub mod project_latest;
pub mod result;
pub mod retention;
pub mod rollup;
pub mod rollup_progress;
pub mod source;
