use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Interval, MissingPolicy, is_slug, validate_intervals};

/// One thing wrong with a request, named by its JSON path.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(example = "indicators[0].weight")]
    pub field: String,
    #[schema(example = "weight is a percentage and must be >= 0 and <= 1000000, got -5")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

const MAX_TEXT: usize = 200;
const MAX_DESCRIPTION: usize = 4000;

/// A project (an index) as an admin writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Slug `[a-z0-9_-]{1,64}`; generated when absent on create.
    #[schema(example = "air")]
    pub code: Option<String>,
    #[serde(default)]
    #[schema(example = "Air quality")]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub indicators: Vec<IndicatorSpec>,
    /// What indicators without a usable value do to the index.
    #[serde(default)]
    pub missing_policy: MissingPolicy,
}

/// Largest weight (percent). With `MAX_SCORE` it keeps every index finite:
/// an unbounded weight times an unbounded score overflows to infinity.
pub const MAX_WEIGHT: f64 = 1e6;

/// One metric of a project and how it scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    /// Slug, unique within its project.
    #[schema(example = "pm25")]
    pub key: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub unit: String,
    /// Percent of the index this indicator carries (0 to 1,000,000).
    #[schema(example = 50.0, minimum = 0.0, maximum = 1e6)]
    pub weight: f64,
    #[serde(default)]
    pub intervals: Vec<Interval>,
    /// Observations older than this count as `stale` (contribute 0).
    pub max_age_secs: Option<i64>,
}

impl ProjectSpec {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(code) = &self.code
            && !is_slug(code)
        {
            errors.push(FieldError::new("code", slug_hint(code)));
        }
        check_len(&mut errors, "title", &self.title, MAX_TEXT);
        check_len(&mut errors, "description", &self.description, MAX_DESCRIPTION);
        let mut seen = HashSet::new();
        for (i, ind) in self.indicators.iter().enumerate() {
            let at = format!("indicators[{i}]");
            errors.extend(ind.validate(&at));
            if !seen.insert(ind.key.as_str()) {
                errors.push(FieldError::new(
                    format!("{at}.key"),
                    format!("duplicate key {:?}: each indicator key must be unique in its project", ind.key),
                ));
            }
        }
        errors
    }
}

impl IndicatorSpec {
    /// `at` is this indicator's path in the request, e.g. `indicators[2]`,
    /// or empty when the indicator is the whole body.
    pub fn validate(&self, at: &str) -> Vec<FieldError> {
        let field = |name: &str| if at.is_empty() { name.to_string() } else { format!("{at}.{name}") };
        let mut errors = Vec::new();
        if !is_slug(&self.key) {
            errors.push(FieldError::new(field("key"), slug_hint(&self.key)));
        }
        check_len(&mut errors, &field("title"), &self.title, MAX_TEXT);
        check_len(&mut errors, &field("unit"), &self.unit, MAX_TEXT);
        if !(self.weight.is_finite() && (0.0..=MAX_WEIGHT).contains(&self.weight)) {
            errors.push(FieldError::new(
                field("weight"),
                format!("weight is a percentage and must be >= 0 and <= {MAX_WEIGHT}, got {}", self.weight),
            ));
        }
        if let Some(age) = self.max_age_secs
            && age <= 0
        {
            errors.push(FieldError::new(
                field("max_age_secs"),
                format!("max_age_secs must be > 0 (omit it to never go stale), got {age}"),
            ));
        }
        errors.extend(validate_intervals(&self.intervals, &field("intervals")));
        errors
    }
}

#[cfg(test)]
impl IndicatorSpec {
    /// An indicator without intervals, for tests.
    pub fn plain(key: &str, weight: f64) -> Self {
        Self {
            key: key.into(),
            title: String::new(),
            unit: String::new(),
            weight,
            intervals: vec![],
            max_age_secs: None,
        }
    }
}

/// Sum of indicator weights, reported so admins see when it is not 100.
pub fn weight_sum(indicators: &[IndicatorSpec]) -> f64 {
    indicators.iter().map(|i| i.weight).sum()
}

fn slug_hint(value: &str) -> String {
    format!("{value:?} is not a valid slug: use 1-64 characters of a-z, 0-9, '_' or '-'")
}

fn check_len(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indicator(key: &str, weight: f64) -> IndicatorSpec {
        IndicatorSpec::plain(key, weight)
    }

    fn project(indicators: Vec<IndicatorSpec>) -> ProjectSpec {
        ProjectSpec {
            code: Some("p".into()),
            title: "t".into(),
            description: String::new(),
            indicators,
            missing_policy: MissingPolicy::Zero,
        }
    }

    #[test]
    fn a_well_formed_project_has_no_errors() {
        assert!(project(vec![indicator("a", 60.0), indicator("b", 40.0)]).validate().is_empty());
    }

    #[test]
    fn each_error_names_its_field() {
        let mut bad = project(vec![indicator("Bad Key", -1.0), indicator("a", 1.0), indicator("a", 1.0)]);
        bad.code = Some("No".into());
        bad.indicators[1].max_age_secs = Some(0);
        let fields: Vec<String> = bad.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["code", "indicators[0].key", "indicators[0].weight", "indicators[1].max_age_secs", "indicators[2].key"]
        );
    }

    #[test]
    fn weights_and_scores_are_bounded_so_every_index_is_finite() {
        let mut huge = indicator("a", MAX_WEIGHT * 2.0);
        huge.intervals = vec![Interval { start: 0.0, end: 1.0, score: 1e300 }];
        let fields: Vec<String> = huge.validate("").into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["weight", "intervals[0].score"]);
        assert!(indicator("a", MAX_WEIGHT).validate("").is_empty());
    }

    #[test]
    fn weight_sum_adds_weights() {
        assert_eq!(weight_sum(&[indicator("a", 60.0), indicator("b", 30.0)]), 90.0);
    }
}
