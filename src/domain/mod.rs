//! Pure types, validation and the scorer: no I/O, no async.

mod alert;
mod interval;
mod policy;
mod project;
mod role;
mod scorer;
mod slug;
mod timeline;
mod value;

pub use alert::{Condition, Facts, Hit, OWN_LABELS, Phase, RuleSpec, Severity, next_phase, render};
pub use interval::{Interval, validate_intervals};
pub use policy::MissingPolicy;
pub use project::{FieldError, IndicatorSpec, ProjectSpec, weight_sum};
pub use role::Role;
pub use scorer::{Contribution, Latest, Score, Status, score};
pub use slug::{is_slug, new_code};
pub use timeline::{Reading, apply, replay, sample, stale_at};
pub use value::{ValueError, parse_value};
