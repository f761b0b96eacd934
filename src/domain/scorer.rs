//! The scoring rules of DESIGN.md §2, exactly.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{IndicatorSpec, Interval};

/// The latest observation of one indicator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latest {
    pub value: f64,
    pub observed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Missing,
    Stale,
    NoInterval,
}

/// How one indicator contributed to an index value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Contribution {
    pub key: String,
    pub weight: f64,
    pub value: Option<f64>,
    pub observed_at: Option<DateTime<Utc>>,
    pub interval: Option<Interval>,
    pub position: Option<f64>,
    pub contribution: f64,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub value: f64,
    /// Share of indicators with status `ok`, 0 when there are none.
    pub coverage: f64,
    pub breakdown: Vec<Contribution>,
}

pub fn score(indicators: &[IndicatorSpec], latest: &HashMap<String, Latest>, now: DateTime<Utc>) -> Score {
    let breakdown: Vec<Contribution> =
        indicators.iter().map(|ind| contribution(ind, latest.get(&ind.key), now)).collect();
    let ok = breakdown.iter().filter(|c| c.status == Status::Ok).count();
    Score {
        value: breakdown.iter().map(|c| c.contribution).sum(),
        coverage: if breakdown.is_empty() { 0.0 } else { ok as f64 / breakdown.len() as f64 },
        breakdown,
    }
}

fn contribution(ind: &IndicatorSpec, latest: Option<&Latest>, now: DateTime<Utc>) -> Contribution {
    let mut c = Contribution {
        key: ind.key.clone(),
        weight: ind.weight,
        value: latest.map(|l| l.value),
        observed_at: latest.map(|l| l.observed_at),
        interval: None,
        position: None,
        contribution: 0.0,
        status: Status::Missing,
    };
    let Some(l) = latest else { return c };
    if ind.max_age_secs.is_some_and(|age| now - l.observed_at > chrono::Duration::seconds(age)) {
        c.status = Status::Stale;
        return c;
    }
    let share = ind.weight / 100.0;
    if ind.intervals.is_empty() {
        c.contribution = l.value * share;
        c.status = Status::Ok;
        return c;
    }
    let Some(iv) = matching_interval(&ind.intervals, l.value) else {
        c.status = Status::NoInterval;
        return c;
    };
    let position = ((l.value - iv.min) / (iv.max - iv.min)).abs();
    c.interval = Some(iv);
    c.position = Some(position);
    c.contribution = position * iv.score * share;
    c.status = Status::Ok;
    c
}

/// `min <= v < max`, except that the band with the largest max also takes
/// `v == max` so the top of the scale scores.
fn matching_interval(intervals: &[Interval], v: f64) -> Option<Interval> {
    let top = intervals.iter().map(|i| i.max).fold(f64::NEG_INFINITY, f64::max);
    intervals.iter().find(|i| i.min <= v && (v < i.max || (v == i.max && i.max == top))).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn ind(key: &str, weight: f64, intervals: Vec<Interval>) -> IndicatorSpec {
        IndicatorSpec {
            key: key.into(),
            title: String::new(),
            unit: String::new(),
            weight,
            intervals,
            max_age_secs: None,
        }
    }

    fn iv(min: f64, max: f64, score: f64) -> Interval {
        Interval { min, max, score }
    }

    fn at(now: DateTime<Utc>, pairs: &[(&str, f64)]) -> HashMap<String, Latest> {
        pairs.iter().map(|&(k, value)| (k.to_string(), Latest { value, observed_at: now })).collect()
    }

    #[test]
    fn worked_example_without_intervals_scores_38() {
        let now = Utc::now();
        let s = score(&[ind("a", 60.0, vec![]), ind("b", 40.0, vec![])], &at(now, &[("a", 30.0), ("b", 50.0)]), now);
        assert!((s.value - 38.0).abs() < 1e-9, "{}", s.value);
        assert_eq!(s.coverage, 1.0);
    }

    #[test]
    fn worked_example_with_intervals_scores_25() {
        let now = Utc::now();
        let s = score(&[ind("v", 50.0, vec![iv(50.0, 100.0, 100.0)])], &at(now, &[("v", 75.0)]), now);
        assert_eq!(s.value, 25.0);
        assert_eq!(s.breakdown[0].position, Some(0.5));
        assert_eq!(s.breakdown[0].interval, Some(iv(50.0, 100.0, 100.0)));
    }

    #[test]
    fn interval_edges_and_gaps() {
        let now = Utc::now();
        let bands = vec![iv(0.0, 10.0, 10.0), iv(20.0, 30.0, 100.0)];
        let one = |v: f64| score(&[ind("x", 100.0, bands.clone())], &at(now, &[("x", v)]), now).breakdown.remove(0);
        assert_eq!(one(0.0).interval, Some(bands[0]), "v == min matches");
        assert_eq!(one(0.0).contribution, 0.0);
        assert_eq!(one(10.0).status, Status::NoInterval, "max of a lower band is open");
        assert_eq!(one(15.0).status, Status::NoInterval, "a gap matches nothing");
        assert_eq!(one(30.0).contribution, 100.0, "max of the top band is closed");
        assert_eq!(one(30.5).status, Status::NoInterval);
    }

    #[test]
    fn missing_and_stale_indicators_contribute_nothing() {
        let now = Utc::now();
        let mut stale = ind("s", 50.0, vec![]);
        stale.max_age_secs = Some(60);
        let latest =
            HashMap::from([("s".to_string(), Latest { value: 10.0, observed_at: now - Duration::seconds(61) })]);
        let s = score(&[stale, ind("m", 50.0, vec![])], &latest, now);
        assert_eq!(s.value, 0.0);
        assert_eq!(s.coverage, 0.0);
        assert_eq!(s.breakdown[0].status, Status::Stale);
        assert_eq!(s.breakdown[0].value, Some(10.0));
        assert_eq!(s.breakdown[1].status, Status::Missing);
    }

    fn banded() -> impl Strategy<Value = (Vec<IndicatorSpec>, Vec<(String, f64)>)> {
        prop::collection::vec((0.0f64..100.0, 0.0f64..1000.0, 1.0f64..100.0, 0.0f64..1.0, 0.0f64..200.0), 1..8)
            .prop_map(|rows| {
                let specs = rows
                    .iter()
                    .enumerate()
                    .map(|(i, &(w, min, len, _, score))| ind(&format!("k{i}"), w, vec![iv(min, min + len, score)]))
                    .collect();
                let values = rows
                    .iter()
                    .enumerate()
                    .map(|(i, &(_, min, len, frac, _))| (format!("k{i}"), min + frac * len))
                    .collect();
                (specs, values)
            })
    }

    proptest! {
        #[test]
        fn index_lies_between_zero_and_the_weighted_score_sum((specs, values) in banded()) {
            let now = Utc::now();
            let pairs: Vec<(&str, f64)> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let s = score(&specs, &at(now, &pairs), now);
            let ceiling: f64 = specs.iter().map(|i| i.intervals[0].score * i.weight / 100.0).sum();
            prop_assert!(s.value >= 0.0 && s.value <= ceiling + 1e-9, "{} > {}", s.value, ceiling);
        }

        #[test]
        fn order_of_indicators_does_not_change_the_index((specs, values) in banded()) {
            let now = Utc::now();
            let pairs: Vec<(&str, f64)> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let latest = at(now, &pairs);
            let mut reversed = specs.clone();
            reversed.reverse();
            prop_assert!((score(&specs, &latest, now).value - score(&reversed, &latest, now).value).abs() < 1e-9);
        }

        #[test]
        fn contribution_grows_with_position_in_an_interval(
            min in -100.0f64..100.0, len in 1.0f64..100.0, a in 0.0f64..1.0, b in 0.0f64..1.0, score_pts in 0.0f64..100.0
        ) {
            let now = Utc::now();
            let spec = [ind("x", 50.0, vec![iv(min, min + len, score_pts)])];
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let low = score(&spec, &at(now, &[("x", min + lo * len)]), now).value;
            let high = score(&spec, &at(now, &[("x", min + hi * len)]), now).value;
            prop_assert!(low <= high + 1e-9);
        }
    }
}
