//! Pure types, validation and the scorer: no I/O, no async.

mod alert;
mod buckets;
mod interval;
mod policy;
mod project;
mod retention;
mod role;
mod rollup;
mod scorer;
mod slug;
mod timeline;
mod value;

pub use alert::{Condition, Facts, Hit, OWN_LABELS, Phase, RuleSpec, Severity, next_phase, render};
pub use buckets::Buckets;
pub use interval::{Interval, validate_intervals};
pub use policy::MissingPolicy;
pub use project::{FieldError, IndicatorSpec, ProjectSpec, weight_sum};
pub use retention::{Overrides, Retention, RetentionSpec, parse_period, raw_cutoff};
pub use role::Role;
pub use rollup::{Agg, Cell, TIERS, floor_to};
pub use scorer::{Contribution, Latest, Score, Status, score};
pub use slug::{is_slug, new_code};
pub use timeline::{Reading, apply, replay, sample, stale_at};
pub use value::{ValueError, parse_value};
