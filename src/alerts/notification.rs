//! What receivers are told of a transition: one document, kept in the
//! outbox as is, turned into Alertmanager's shape when sent there.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::{Phase, render};
use crate::store::AlertRule;

/// The webhook body, and the outbox's record of a notification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    /// The same for every delivery of this notification (retries, other
    /// receivers): receivers deduplicate on it.
    pub idempotency_key: String,
    pub project: String,
    pub rule_id: i64,
    pub rule: String,
    pub severity: String,
    /// `""` (the project), an indicator key or `source:ID`.
    pub subject: String,
    /// `firing` or `resolved`.
    pub state: Phase,
    pub value: Option<f64>,
    /// When the alert started firing.
    pub starts_at: DateTime<Utc>,
    /// When it resolved; absent while firing.
    pub ends_at: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub generator_url: String,
}

/// The alert a notification is about.
pub struct About<'a> {
    pub rule: &'a AlertRule,
    pub subject: &'a str,
    pub state: Phase,
    pub value: Option<f64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Distinguishes this notification from every other of the alert.
    pub occasion: String,
}

impl Notification {
    pub fn new(about: About, public_url: &str) -> Self {
        let rule = about.rule;
        let spec = &rule.spec;
        let indicator = if about.subject.starts_with("source:") { "" } else { about.subject };
        let value = about.value.map(|v| format!("{}", (v * 1000.0).round() / 1000.0)).unwrap_or_default();
        let lookup = |name: &str| -> Option<String> {
            Some(match name {
                "value" => value.clone(),
                "project" => rule.project.clone(),
                "indicator" => indicator.to_string(),
                "subject" => about.subject.to_string(),
                "rule" => spec.name.clone(),
                "severity" => spec.severity.as_str().to_string(),
                _ => return None,
            })
        };
        // Templates were checked when the rule was stored; a failure here
        // would mean a rule written by hand, and its raw text says most.
        let annotations = spec
            .annotations
            .iter()
            .map(|(k, t)| (k.clone(), render(t, &lookup).unwrap_or_else(|_| t.clone())))
            .collect();
        let mut labels = spec.labels.clone();
        labels.insert("alertname".into(), spec.name.clone());
        labels.insert("project".into(), rule.project.clone());
        labels.insert("severity".into(), spec.severity.as_str().into());
        if !about.subject.is_empty() {
            labels.insert("subject".into(), about.subject.to_string());
        }
        Self {
            idempotency_key: format!("koi-{}-{}-{}", rule.id, about.subject, about.occasion),
            project: rule.project.clone(),
            rule_id: rule.id,
            rule: spec.name.clone(),
            severity: spec.severity.as_str().into(),
            subject: about.subject.to_string(),
            state: about.state,
            value: about.value,
            starts_at: about.starts_at,
            ends_at: about.ends_at,
            labels,
            annotations,
            generator_url: format!("{}/v1/projects/{}", public_url.trim_end_matches('/'), rule.project),
        }
    }

    /// Alertmanager's `POST /api/v2/alerts` body. A firing alert is valid
    /// for `valid_for` from `now`: re-sent before then while it fires, it
    /// resolves by itself in Alertmanager if KOI goes away.
    pub fn alertmanager_body(&self, now: DateTime<Utc>, valid_for: TimeDelta) -> Value {
        let ends_at = self.ends_at.unwrap_or(now + valid_for);
        json!([{
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": self.starts_at.to_rfc3339(),
            "endsAt": ends_at.to_rfc3339(),
            "generatorURL": self.generator_url,
        }])
    }
}
