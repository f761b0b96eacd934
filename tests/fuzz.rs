//! Property fuzzing of the push body parser and of the validator + scorer:
//! whatever comes in, nothing panics, refusals name a field, and accepted
//! input scores to a finite index. Runs for FUZZ_SECONDS (default 2; 60 in
//! scripts/reliability.sh).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use koi::domain::{IndicatorSpec, Interval, Latest, MissingPolicy, ProjectSpec, score};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};

fn budget() -> Duration {
    Duration::from_secs(std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2))
}

/// Runs `test` on fresh cases until the time budget is spent.
fn fuzz<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let deadline = Instant::now() + budget();
    let mut cases = 0u32;
    while Instant::now() < deadline {
        let mut runner = TestRunner::new(Config { cases: 500, failure_persistence: None, ..Config::default() });
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("after {cases} cases: {e}");
        }
        cases += 500;
    }
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<i64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::from),
        prop_oneof![Just("NaN"), Just("1e309"), Just("-0"), Just(" 42 "), Just("2026-11-23T08:00:00Z")]
            .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Mostly well-shaped pushes with hostile fields, plus arbitrary JSON.
fn push_body() -> impl Strategy<Value = Value> {
    let shaped =
        (json_leaf(), prop::option::of(json_leaf()), prop::collection::btree_map("[a-z0-9_-]{1,6}", json_leaf(), 0..6))
            .prop_map(|(project, ts, values)| {
                let mut body = Map::new();
                body.insert("project".into(), project);
                if let Some(ts) = ts {
                    body.insert("ts".into(), ts);
                }
                body.insert("values".into(), Value::Object(values.into_iter().collect()));
                Value::Object(body)
            });
    prop_oneof![3 => shaped, 1 => json_value()]
}

#[test]
fn the_push_parser_accepts_only_finite_values_and_names_every_refusal() {
    fuzz(push_body(), |body| {
        match koi::api::parse_push(body.clone(), "[0]") {
            Ok(push) => {
                prop_assert!(push.values.iter().all(|(_, v)| v.is_finite()), "{body}");
                prop_assert!(!push.values.is_empty());
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.field.starts_with("[0]") && !e.message.is_empty()), "{errors:?}");
            }
        }
        Ok(())
    });
}

fn interval() -> impl Strategy<Value = Interval> {
    let number = prop_oneof![8 => -1e6f64..1e6, 1 => any::<f64>()];
    (number.clone(), number.clone(), number).prop_map(|(start, end, score)| Interval { start, end, score })
}

fn project() -> impl Strategy<Value = (ProjectSpec, Vec<f64>)> {
    let indicator =
        (prop_oneof![9 => 0.0f64..200.0, 1 => any::<f64>()], prop::collection::vec(interval(), 0..4), any::<f64>());
    let policy = prop_oneof![Just(MissingPolicy::Zero), Just(MissingPolicy::Renormalize)];
    (prop::collection::vec(indicator, 0..6), policy).prop_map(|(rows, missing_policy)| {
        let values = rows.iter().map(|r| r.2).collect();
        let indicators = rows
            .into_iter()
            .enumerate()
            .map(|(i, (weight, intervals, _))| IndicatorSpec {
                key: format!("k{i}"),
                title: String::new(),
                unit: String::new(),
                weight,
                intervals,
                max_age_secs: None,
            })
            .collect();
        let code = Some("p".into());
        (ProjectSpec { code, title: String::new(), description: String::new(), indicators, missing_policy }, values)
    })
}

#[test]
fn valid_projects_always_score_to_a_finite_index() {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    fuzz(project(), |(spec, values)| {
        if !spec.validate().is_empty() {
            return Ok(());
        }
        let latest: HashMap<String, Latest> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite() && v.abs() < 1e12)
            .map(|(i, v)| (format!("k{i}"), Latest { value: *v, observed_at: now }))
            .collect();
        let s = score(&spec.indicators, spec.missing_policy, &latest, now);
        prop_assert!(s.value.is_finite(), "{spec:?} {latest:?} -> {}", s.value);
        prop_assert!((0.0..=1.0).contains(&s.coverage));
        prop_assert_eq!(s.breakdown.len(), spec.indicators.len());
        Ok(())
    });
}
