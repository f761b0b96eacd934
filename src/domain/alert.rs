//! Alert rules: what a rule watches, when it holds, and how an alert moves
//! from pending to firing to resolved. Pure: the caller supplies the facts
//! and the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Contribution, FieldError, Status};

/// What a rule watches. Project-wide kinds have one subject (`""`); per
/// indicator kinds have one per indicator; `source_failing` one per source
/// (`source:ID`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// The index is below `threshold`.
    IndexBelow { threshold: f64 },
    /// The index is above `threshold`.
    IndexAbove { threshold: f64 },
    /// An indicator's status is one of `statuses` (default: stale, missing
    /// and no_interval). Without `indicator`: every indicator, each its own alert.
    IndicatorStatus {
        #[serde(default)]
        indicator: Option<String>,
        #[serde(default = "troubled")]
        statuses: Vec<Status>,
    },
    /// An indicator's value is below `min` or above `max` (either may be left out).
    IndicatorOutside {
        #[serde(default)]
        indicator: Option<String>,
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    /// The share of indicators with status ok (the index's `coverage`, 0
    /// to 1) is below `threshold`.
    CoverageBelow { threshold: f64 },
    /// No value has been observed for `after_secs` (if none ever was: since
    /// the rule was created).
    NoData { after_secs: u64 },
    /// A pull source of the project failed `failures` times in a row.
    /// Without `source`: every source of the project, each its own alert.
    SourceFailing {
        #[serde(default)]
        source: Option<i64>,
        failures: u32,
    },
}

fn troubled() -> Vec<Status> {
    vec![Status::Stale, Status::Missing, Status::NoInterval]
}

/// What the conditions are judged on: the project as it stands at `now`.
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    /// The index scored at `now`, or None before any value arrived.
    pub index: Option<f64>,
    pub coverage: f64,
    pub breakdown: &'a [Contribution],
    /// The newest value's time; for `no_data` on a project without any,
    /// the rule's creation.
    pub newest_value: Option<DateTime<Utc>>,
    /// Each source of the project with its consecutive failures.
    pub sources: &'a [(i64, i32)],
}

/// One subject for which a condition holds, with the value that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub subject: String,
    pub value: Option<f64>,
}

impl Condition {
    /// Every subject for which the condition holds now.
    pub fn hits(&self, facts: &Facts) -> Vec<Hit> {
        let whole = |value: f64, holds: bool| -> Vec<Hit> {
            if holds { vec![Hit { subject: String::new(), value: Some(value) }] } else { Vec::new() }
        };
        match self {
            Self::IndexBelow { threshold } => facts.index.map_or(Vec::new(), |v| whole(v, v < *threshold)),
            Self::IndexAbove { threshold } => facts.index.map_or(Vec::new(), |v| whole(v, v > *threshold)),
            Self::CoverageBelow { threshold } => whole(facts.coverage, facts.coverage < *threshold),
            Self::IndicatorStatus { indicator, statuses } => indicators(facts, indicator.as_deref())
                .filter(|c| statuses.contains(&c.status))
                .map(|c| Hit { subject: c.key.clone(), value: c.value })
                .collect(),
            Self::IndicatorOutside { indicator, min, max } => indicators(facts, indicator.as_deref())
                .filter_map(|c| {
                    let v = c.value?;
                    let outside = min.is_some_and(|m| v < m) || max.is_some_and(|m| v > m);
                    outside.then(|| Hit { subject: c.key.clone(), value: Some(v) })
                })
                .collect(),
            Self::NoData { after_secs } => {
                let age = facts.newest_value.map(|at| (facts.now - at).num_milliseconds() as f64 / 1000.0);
                match age {
                    Some(age) if age < *after_secs as f64 => Vec::new(),
                    age => vec![Hit { subject: String::new(), value: age }],
                }
            }
            Self::SourceFailing { source, failures } => facts
                .sources
                .iter()
                .filter(|(id, n)| source.is_none_or(|s| s == *id) && i64::from(*n) >= i64::from(*failures))
                .map(|(id, n)| Hit { subject: format!("source:{id}"), value: Some(f64::from(*n)) })
                .collect(),
        }
    }

    /// The indicator a rule names, if any, for checking it exists.
    pub fn indicator(&self) -> Option<&str> {
        match self {
            Self::IndicatorStatus { indicator, .. } | Self::IndicatorOutside { indicator, .. } => indicator.as_deref(),
            _ => None,
        }
    }

    pub fn source(&self) -> Option<i64> {
        match self {
            Self::SourceFailing { source, .. } => *source,
            _ => None,
        }
    }

    fn validate(&self, errors: &mut Vec<FieldError>) {
        let finite = |errors: &mut Vec<FieldError>, field: &str, v: f64| {
            if !v.is_finite() {
                errors.push(FieldError::new(field, "must be a finite number"));
            }
        };
        match self {
            Self::IndexBelow { threshold } | Self::IndexAbove { threshold } => finite(errors, "threshold", *threshold),
            Self::CoverageBelow { threshold } if !(0.0..=1.0).contains(threshold) => {
                errors.push(FieldError::new("threshold", format!("is a share from 0 to 1, got {threshold}")));
            }
            Self::IndicatorStatus { statuses, .. } if statuses.is_empty() || statuses.contains(&Status::Ok) => {
                errors.push(FieldError::new("statuses", "list one or more of stale, missing, no_interval"));
            }
            Self::IndicatorOutside { min, max, .. } => match (min, max) {
                (None, None) => errors.push(FieldError::new("min", "give min, max or both")),
                (Some(lo), Some(hi)) if lo > hi => {
                    errors.push(FieldError::new("min", format!("{lo} is above max {hi}")));
                }
                _ => min.iter().chain(max).for_each(|v| finite(errors, "min", *v)),
            },
            Self::NoData { after_secs: 0 } => errors.push(FieldError::new("after_secs", "must be at least 1")),
            Self::SourceFailing { failures: 0, .. } => errors.push(FieldError::new("failures", "must be at least 1")),
            _ => {}
        }
    }
}

fn indicators<'a>(facts: &'a Facts, only: Option<&'a str>) -> impl Iterator<Item = &'a Contribution> {
    facts.breakdown.iter().filter(move |c| only.is_none_or(|key| c.key == key))
}

/// Where an alert of one rule and subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Inactive,
    /// Holds, for less than the rule's `for`.
    Pending,
    Firing,
    /// Fired, and no longer holds.
    Resolved,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Pending => "pending",
            Self::Firing => "firing",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Inactive, Self::Pending, Self::Firing, Self::Resolved].into_iter().find(|p| p.as_str() == text)
    }

    /// Whether receivers hear of entering this phase.
    pub fn notifies(self) -> bool {
        matches!(self, Self::Firing | Self::Resolved)
    }
}

/// The next phase of an alert that is in `phase` since `since`, or None
/// when it stays. `for_secs`: how long a condition must hold to fire.
pub fn next_phase(phase: Phase, since: DateTime<Utc>, holds: bool, for_secs: u64, now: DateTime<Utc>) -> Option<Phase> {
    let held_long_enough = (now - since).num_milliseconds() >= (for_secs as i64).saturating_mul(1000);
    match (phase, holds) {
        (Phase::Inactive | Phase::Resolved, true) if for_secs == 0 => Some(Phase::Firing),
        (Phase::Inactive | Phase::Resolved, true) => Some(Phase::Pending),
        (Phase::Pending, true) if held_long_enough => Some(Phase::Firing),
        (Phase::Pending, false) => Some(Phase::Inactive),
        (Phase::Firing, false) => Some(Phase::Resolved),
        _ => None,
    }
}

/// How loud an alert is; becomes the `severity` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
            Self::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Critical, Self::Warning, Self::Info].into_iter().find(|s| s.as_str() == text)
    }
}

/// Labels KOI sets itself on every alert.
pub const OWN_LABELS: [&str; 4] = ["alertname", "project", "severity", "subject"];
/// What an annotation template may name, as `{{ .name }}`.
pub const TEMPLATE_VARIABLES: [&str; 6] = ["value", "project", "indicator", "subject", "rule", "severity"];
const MAX_NAME: usize = 200;
const MAX_TEMPLATE: usize = 4000;

/// A rule as an admin writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleSpec {
    /// Becomes the `alertname` label.
    #[schema(example = "index-low")]
    pub name: String,
    #[serde(flatten)]
    pub condition: Condition,
    /// Seconds the condition must hold before the alert fires (0: at once).
    #[serde(rename = "for", default)]
    pub for_secs: u64,
    #[serde(default = "warning")]
    pub severity: Severity,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Templates: `{{ .value }}`, `{{ .project }}`, `{{ .indicator }}`,
    /// `{{ .subject }}`, `{{ .rule }}`, `{{ .severity }}`.
    #[serde(default)]
    #[schema(example = json!({"summary": "{{ .project }} index is {{ .value }}"}))]
    pub annotations: BTreeMap<String, String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn warning() -> Severity {
    Severity::Warning
}

fn enabled() -> bool {
    true
}

impl RuleSpec {
    /// Everything wrong with the rule, by field. `indicators`: the
    /// project's indicator keys.
    pub fn validate(&self, indicators: &[String]) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() || self.name.chars().count() > MAX_NAME {
            errors.push(FieldError::new("name", format!("must be 1 to {MAX_NAME} characters, e.g. \"index-low\"")));
        }
        self.condition.validate(&mut errors);
        if let Some(key) = self.condition.indicator().filter(|k| !indicators.iter().any(|i| i == k)) {
            errors.push(FieldError::new("indicator", format!("the project has no indicator {key:?}")));
        }
        if self.for_secs > 366 * 86_400 {
            errors.push(FieldError::new("for", "at most a year (31622400 seconds)"));
        }
        for (name, value) in &self.labels {
            if !is_label_name(name) || OWN_LABELS.contains(&name.as_str()) {
                errors.push(FieldError::new(
                    format!("labels.{name}"),
                    format!("a label name is [a-zA-Z_][a-zA-Z0-9_]* and not one KOI sets ({})", OWN_LABELS.join(", ")),
                ));
            } else if value.chars().count() > MAX_NAME {
                errors.push(FieldError::new(format!("labels.{name}"), format!("at most {MAX_NAME} characters")));
            }
        }
        for (name, template) in &self.annotations {
            let field = format!("annotations.{name}");
            if !is_label_name(name) {
                errors.push(FieldError::new(field, "an annotation name is [a-zA-Z_][a-zA-Z0-9_]*"));
            } else if template.chars().count() > MAX_TEMPLATE {
                errors.push(FieldError::new(field, format!("at most {MAX_TEMPLATE} characters")));
            } else if let Err(why) = render(template, &|_| Some(String::new())) {
                errors.push(FieldError::new(field, why));
            }
        }
        errors
    }
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Fills `{{ .name }}` placeholders from `lookup`; an unknown name or an
/// unclosed placeholder is an error that says which.
pub fn render(template: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or("has a \"{{\" without its \"}}\"")?;
        let inner = after[..close].trim();
        let name = inner.strip_prefix('.').filter(|n| TEMPLATE_VARIABLES.contains(n)).ok_or_else(|| {
            format!(
                "{{{{ {inner} }}}} is not a variable; use one of {}",
                TEMPLATE_VARIABLES.map(|v| format!("{{{{ .{v} }}}}")).join(", ")
            )
        })?;
        out.push_str(&lookup(name).unwrap_or_default());
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn an_alert_pends_for_its_for_then_fires_and_resolves() {
        assert_eq!(next_phase(Phase::Inactive, at(0), true, 30, at(0)), Some(Phase::Pending));
        assert_eq!(next_phase(Phase::Pending, at(0), true, 30, at(29)), None);
        assert_eq!(next_phase(Phase::Pending, at(0), true, 30, at(30)), Some(Phase::Firing));
        assert_eq!(next_phase(Phase::Pending, at(0), false, 30, at(10)), Some(Phase::Inactive));
        assert_eq!(next_phase(Phase::Firing, at(0), true, 30, at(99)), None);
        assert_eq!(next_phase(Phase::Firing, at(0), false, 30, at(99)), Some(Phase::Resolved));
        assert_eq!(next_phase(Phase::Resolved, at(0), true, 0, at(99)), Some(Phase::Firing));
        assert_eq!(next_phase(Phase::Resolved, at(0), false, 0, at(99)), None);
    }

    fn contribution(key: &str, value: Option<f64>, status: Status) -> Contribution {
        Contribution {
            key: key.into(),
            weight: 50.0,
            effective_weight: 50.0,
            value,
            observed_at: None,
            status,
            interval: None,
            position: None,
            contribution: 0.0,
        }
    }

    #[test]
    fn conditions_name_each_subject_that_holds() {
        let breakdown = [contribution("a", Some(5.0), Status::Ok), contribution("b", None, Status::Missing)];
        let sources = [(1, 3), (2, 0)];
        let facts = Facts {
            now: at(100),
            index: Some(42.0),
            coverage: 0.5,
            breakdown: &breakdown,
            newest_value: Some(at(40)),
            sources: &sources,
        };
        let subjects = |c: Condition| c.hits(&facts).into_iter().map(|h| (h.subject, h.value)).collect::<Vec<_>>();

        assert_eq!(subjects(Condition::IndexBelow { threshold: 60.0 }), [(String::new(), Some(42.0))]);
        assert!(subjects(Condition::IndexAbove { threshold: 60.0 }).is_empty());
        assert_eq!(subjects(Condition::CoverageBelow { threshold: 0.8 }), [(String::new(), Some(0.5))]);
        let troubled = Condition::IndicatorStatus { indicator: None, statuses: troubled() };
        assert_eq!(subjects(troubled), [("b".into(), None)]);
        let outside = Condition::IndicatorOutside { indicator: Some("a".into()), min: Some(10.0), max: None };
        assert_eq!(subjects(outside), [("a".into(), Some(5.0))]);
        assert_eq!(subjects(Condition::NoData { after_secs: 60 }), [(String::new(), Some(60.0))]);
        assert!(subjects(Condition::NoData { after_secs: 61 }).is_empty());
        assert_eq!(subjects(Condition::SourceFailing { source: None, failures: 3 }), [("source:1".into(), Some(3.0))]);
    }

    #[test]
    fn templates_fill_known_variables_and_name_unknown_ones() {
        let lookup = |name: &str| (name == "value").then(|| "41.5".to_string());
        assert_eq!(render("index {{ .value }} ({{.project}})", &lookup).unwrap(), "index 41.5 ()");
        assert!(render("{{ .nope }}", &lookup).unwrap_err().contains("{{ .value }}"));
        assert!(render("{{ .value", &lookup).unwrap_err().contains("}}"));
    }

    #[test]
    fn rules_are_parsed_flat_with_defaults_and_validated() {
        let spec: RuleSpec = serde_json::from_value(serde_json::json!({
            "name": "low", "kind": "index_below", "threshold": 60, "labels": {"alertname": "x"},
            "annotations": {"summary": "{{ .valu }}"}
        }))
        .unwrap();
        assert_eq!((spec.for_secs, spec.severity, spec.enabled), (0, Severity::Warning, true));
        let fields: Vec<String> = spec.validate(&[]).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["labels.alertname", "annotations.summary"]);
        let unknown = RuleSpec {
            condition: Condition::IndicatorStatus { indicator: Some("zz".into()), statuses: troubled() },
            ..spec
        };
        assert!(unknown.validate(&["a".into()]).iter().any(|e| e.field == "indicator"));
    }
}
