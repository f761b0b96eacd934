//! Alert transitions as this process stores them, for live views (the
//! events stream). Delivery to receivers goes through the outbox instead:
//! an announcement is lost when nobody listens, a notification is not.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Phase, Severity};

/// One alert that moved between states.
#[derive(Debug, Clone, Serialize)]
pub struct AlertChange {
    pub project: String,
    pub rule_id: i64,
    pub rule: String,
    pub severity: Severity,
    /// `""` (the project), an indicator key or `source:ID`.
    pub subject: String,
    pub from: Phase,
    pub to: Phase,
    pub value: Option<f64>,
    pub at: DateTime<Utc>,
}
