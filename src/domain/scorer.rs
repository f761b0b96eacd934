//! The scoring rules of DESIGN.md §2, exactly.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{IndicatorSpec, Interval, MissingPolicy};

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
    /// The configured weight (percent).
    pub weight: f64,
    /// The weight the contribution was computed with: `weight` under the
    /// `zero` policy; under `renormalize`, `weight` rescaled so the `ok`
    /// indicators carry the configured total (0 for the others).
    pub effective_weight: f64,
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
    pub policy: MissingPolicy,
    pub breakdown: Vec<Contribution>,
}

pub fn score(
    indicators: &[IndicatorSpec],
    policy: MissingPolicy,
    latest: &HashMap<String, Latest>,
    at: DateTime<Utc>,
) -> Score {
    let evaluated: Vec<(Contribution, f64)> =
        indicators.iter().map(|ind| evaluate(ind, latest.get(&ind.key), at)).collect();
    let ok_weight: f64 = evaluated.iter().filter(|(c, _)| c.status == Status::Ok).map(|(c, _)| c.weight).sum();
    let total: f64 = indicators.iter().map(|i| i.weight).sum();
    let breakdown: Vec<Contribution> = evaluated
        .into_iter()
        .map(|(mut c, points)| {
            c.effective_weight = match policy {
                MissingPolicy::Zero => c.weight,
                MissingPolicy::Renormalize if c.status != Status::Ok => 0.0,
                // Ok weights summing to 0 leave nothing to rescale (and
                // every ok contribution is 0 anyway).
                MissingPolicy::Renormalize if ok_weight == 0.0 => c.weight,
                MissingPolicy::Renormalize => c.weight * total / ok_weight,
            };
            c.contribution = points * (c.effective_weight / 100.0);
            c
        })
        .collect();
    let ok = breakdown.iter().filter(|c| c.status == Status::Ok).count();
    Score {
        value: breakdown.iter().map(|c| c.contribution).sum(),
        coverage: if breakdown.is_empty() { 0.0 } else { ok as f64 / breakdown.len() as f64 },
        policy,
        breakdown,
    }
}

/// The indicator's status and its points before weighting: the value
/// itself without intervals, else position × score (0 unless `ok`).
fn evaluate(ind: &IndicatorSpec, latest: Option<&Latest>, at: DateTime<Utc>) -> (Contribution, f64) {
    let mut c = Contribution {
        key: ind.key.clone(),
        weight: ind.weight,
        effective_weight: ind.weight,
        value: latest.map(|l| l.value),
        observed_at: latest.map(|l| l.observed_at),
        interval: None,
        position: None,
        contribution: 0.0,
        status: Status::Missing,
    };
    let Some(l) = latest else { return (c, 0.0) };
    // A maximum age too large for a TimeDelta never comes.
    if ind.max_age_secs.and_then(TimeDelta::try_seconds).is_some_and(|max| at - l.observed_at > max) {
        c.status = Status::Stale;
        return (c, 0.0);
    }
    if ind.intervals.is_empty() {
        c.status = Status::Ok;
        return (c, l.value);
    }
    let Some(iv) = matching_interval(&ind.intervals, l.value) else {
        c.status = Status::NoInterval;
        return (c, 0.0);
    };
    // Measured from `start`, so a descending band scores more as v falls.
    let position = ((l.value - iv.start) / (iv.end - iv.start)).abs();
    c.interval = Some(iv);
    c.position = Some(position);
    c.status = Status::Ok;
    (c, position * iv.score)
}

/// `lower <= v < upper`, except that the band with the largest upper end
/// also takes `v == upper` so the top of the scale scores.
fn matching_interval(intervals: &[Interval], v: f64) -> Option<Interval> {
    let top = intervals.iter().map(Interval::upper).fold(f64::NEG_INFINITY, f64::max);
    intervals.iter().find(|i| i.lower() <= v && (v < i.upper() || (v == i.upper() && v == top))).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    const ZERO: MissingPolicy = MissingPolicy::Zero;

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

    fn iv(start: f64, end: f64, score: f64) -> Interval {
        Interval { start, end, score }
    }

    fn at(now: DateTime<Utc>, pairs: &[(&str, f64)]) -> HashMap<String, Latest> {
        pairs.iter().map(|&(k, value)| (k.to_string(), Latest { value, observed_at: now })).collect()
    }

    #[test]
    fn worked_example_without_intervals_scores_38() {
        let now = Utc::now();
        let s =
            score(&[ind("a", 60.0, vec![]), ind("b", 40.0, vec![])], ZERO, &at(now, &[("a", 30.0), ("b", 50.0)]), now);
        assert!((s.value - 38.0).abs() < 1e-9, "{}", s.value);
        assert_eq!(s.coverage, 1.0);
    }

    #[test]
    fn worked_example_with_intervals_scores_25() {
        let now = Utc::now();
        let s = score(&[ind("v", 50.0, vec![iv(50.0, 100.0, 100.0)])], ZERO, &at(now, &[("v", 75.0)]), now);
        assert_eq!(s.value, 25.0);
        assert_eq!(s.breakdown[0].position, Some(0.5));
        assert_eq!(s.breakdown[0].interval, Some(iv(50.0, 100.0, 100.0)));
    }

    #[test]
    fn worked_example_of_a_descending_band_scores_80() {
        let now = Utc::now();
        let s = score(&[ind("v", 100.0, vec![iv(50.0, 0.0, 100.0)])], ZERO, &at(now, &[("v", 10.0)]), now);
        assert!((s.breakdown[0].position.unwrap() - 0.8).abs() < 1e-12);
        assert!((s.value - 80.0).abs() < 1e-9, "{}", s.value);
    }

    #[test]
    fn interval_edges_and_gaps() {
        let now = Utc::now();
        let bands = vec![iv(0.0, 10.0, 10.0), iv(30.0, 20.0, 100.0)];
        let one =
            |v: f64| score(&[ind("x", 100.0, bands.clone())], ZERO, &at(now, &[("x", v)]), now).breakdown.remove(0);
        assert_eq!(one(0.0).interval, Some(bands[0]), "v == lower matches");
        assert_eq!(one(0.0).contribution, 0.0);
        assert_eq!(one(10.0).status, Status::NoInterval, "the upper end of a lower band is open");
        assert_eq!(one(15.0).status, Status::NoInterval, "a gap matches nothing");
        assert_eq!(one(20.0).contribution, 100.0, "a descending band scores fully at its end");
        assert_eq!(one(30.0).contribution, 0.0, "the upper end of the top band is closed");
        assert_eq!(one(30.0).status, Status::Ok);
        assert_eq!(one(30.5).status, Status::NoInterval);
    }

    #[test]
    fn missing_and_stale_indicators_contribute_nothing() {
        let now = Utc::now();
        let mut stale = ind("s", 50.0, vec![]);
        stale.max_age_secs = Some(60);
        let latest =
            HashMap::from([("s".to_string(), Latest { value: 10.0, observed_at: now - Duration::seconds(61) })]);
        let s = score(&[stale, ind("m", 50.0, vec![])], ZERO, &latest, now);
        assert_eq!(s.value, 0.0);
        assert_eq!(s.coverage, 0.0);
        assert_eq!(s.breakdown[0].status, Status::Stale);
        assert_eq!(s.breakdown[0].value, Some(10.0));
        assert_eq!(s.breakdown[1].status, Status::Missing);
    }

    #[test]
    fn a_value_turns_stale_one_microsecond_past_its_maximum_age() {
        let now = Utc::now();
        let status = |max_age_secs: i64, age: Duration| {
            let mut aging = ind("s", 100.0, vec![]);
            aging.max_age_secs = Some(max_age_secs);
            let latest = HashMap::from([("s".to_string(), Latest { value: 1.0, observed_at: now - age })]);
            score(&[aging], ZERO, &latest, now).breakdown[0].status
        };
        assert_eq!(status(60, Duration::seconds(60)), Status::Ok);
        assert_eq!(status(60, Duration::seconds(60) + Duration::microseconds(1)), Status::Stale);
        assert_eq!(status(i64::MAX, Duration::days(365_000)), Status::Ok);
    }

    #[test]
    fn renormalize_shares_the_weight_of_indicators_without_a_value() {
        let now = Utc::now();
        let specs = [ind("a", 60.0, vec![]), ind("b", 40.0, vec![])];
        let latest = at(now, &[("a", 30.0)]);
        let zero = score(&specs, ZERO, &latest, now);
        let renormalized = score(&specs, MissingPolicy::Renormalize, &latest, now);
        assert!((zero.value - 18.0).abs() < 1e-9, "{}", zero.value);
        assert_eq!(zero.breakdown[0].effective_weight, 60.0);
        assert!((renormalized.value - 30.0).abs() < 1e-9, "{}", renormalized.value);
        assert_eq!(renormalized.policy, MissingPolicy::Renormalize);
        assert_eq!(renormalized.breakdown[0].effective_weight, 100.0);
        assert_eq!(renormalized.breakdown[1].effective_weight, 0.0);
        assert_eq!(renormalized.coverage, 0.5);
        assert_eq!(score(&specs, MissingPolicy::Renormalize, &HashMap::new(), now).value, 0.0);
    }

    fn banded() -> impl Strategy<Value = (Vec<IndicatorSpec>, Vec<(String, f64)>)> {
        let row = (0.0f64..100.0, 0.0f64..1000.0, 1.0f64..100.0, 0.0f64..1.0, 0.0f64..200.0, any::<bool>());
        prop::collection::vec(row, 1..8).prop_map(|rows| {
            let specs = rows
                .iter()
                .enumerate()
                .map(|(i, &(w, lo, len, _, score, descending))| {
                    let band = if descending { iv(lo + len, lo, score) } else { iv(lo, lo + len, score) };
                    ind(&format!("k{i}"), w, vec![band])
                })
                .collect();
            let values = rows
                .iter()
                .enumerate()
                .map(|(i, &(_, lo, len, frac, ..))| (format!("k{i}"), lo + frac * len))
                .collect();
            (specs, values)
        })
    }

    fn policy() -> impl Strategy<Value = MissingPolicy> {
        prop_oneof![Just(MissingPolicy::Zero), Just(MissingPolicy::Renormalize)]
    }

    proptest! {
        #[test]
        fn index_lies_between_zero_and_the_weighted_score_sum((specs, values) in banded()) {
            let now = Utc::now();
            let pairs: Vec<(&str, f64)> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let s = score(&specs, ZERO, &at(now, &pairs), now);
            let ceiling: f64 = specs.iter().map(|i| i.intervals[0].score * i.weight / 100.0).sum();
            prop_assert!(s.value >= 0.0 && s.value <= ceiling + 1e-9, "{} > {}", s.value, ceiling);
        }

        #[test]
        fn order_of_indicators_does_not_change_the_index((specs, values) in banded(), policy in policy()) {
            let now = Utc::now();
            let pairs: Vec<(&str, f64)> = values.iter().skip(1).map(|(k, v)| (k.as_str(), *v)).collect();
            let latest = at(now, &pairs);
            let mut reversed = specs.clone();
            reversed.reverse();
            let (forward, backward) = (score(&specs, policy, &latest, now), score(&reversed, policy, &latest, now));
            prop_assert!((forward.value - backward.value).abs() < 1e-6);
        }

        #[test]
        fn renormalized_effective_weights_sum_to_the_configured_total((specs, values) in banded()) {
            let now = Utc::now();
            let pairs: Vec<(&str, f64)> = values.iter().skip(1).map(|(k, v)| (k.as_str(), *v)).collect();
            let s = score(&specs, MissingPolicy::Renormalize, &at(now, &pairs), now);
            let total: f64 = specs.iter().map(|i| i.weight).sum();
            let ok: f64 = s.breakdown.iter().filter(|c| c.status == Status::Ok).map(|c| c.weight).sum();
            let effective: f64 = s.breakdown.iter().map(|c| c.effective_weight).sum();
            prop_assume!(ok > 0.0);
            prop_assert!((effective - total).abs() < 1e-9 * total.max(1.0), "{effective} != {total}");
        }

        #[test]
        fn contribution_grows_with_position_in_an_interval(
            lo in -100.0f64..100.0, len in 1.0f64..100.0, a in 0.0f64..1.0, b in 0.0f64..1.0, score_pts in 0.0f64..100.0
        ) {
            let now = Utc::now();
            let spec = [ind("x", 50.0, vec![iv(lo, lo + len, score_pts)])];
            let (small, big) = if a <= b { (a, b) } else { (b, a) };
            let low = score(&spec, ZERO, &at(now, &[("x", lo + small * len)]), now).value;
            let high = score(&spec, ZERO, &at(now, &[("x", lo + big * len)]), now).value;
            prop_assert!(low <= high + 1e-9);
        }

        #[test]
        fn contribution_falls_as_the_value_grows_in_a_descending_interval(
            lo in -100.0f64..100.0, len in 1.0f64..100.0, a in 0.0f64..1.0, b in 0.0f64..1.0, score_pts in 0.0f64..100.0
        ) {
            let now = Utc::now();
            let spec = [ind("x", 50.0, vec![iv(lo + len, lo, score_pts)])];
            let (small, big) = if a <= b { (a, b) } else { (b, a) };
            let at_small = score(&spec, ZERO, &at(now, &[("x", lo + small * len)]), now).value;
            let at_big = score(&spec, ZERO, &at(now, &[("x", lo + big * len)]), now).value;
            prop_assert!(at_small + 1e-9 >= at_big, "{at_small} < {at_big}");
        }
    }
}
