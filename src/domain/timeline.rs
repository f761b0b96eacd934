//! The index as a function of event time (DESIGN.md §2 "Time"): a point at
//! each time a value changes and at each instant a value turns stale.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{IndicatorSpec, Latest, Score};

/// The values of one push or pull at its event time, in µs since the epoch.
#[derive(Debug, Clone, Copy)]
pub struct Reading<'a> {
    pub at: i64,
    pub values: &'a [(String, f64)],
}

/// The instant an indicator's value turns stale: the first µs at which
/// `t - observed_at > max_age_secs`.
/// `None` when it never does (no maximum age, or one beyond representable
/// time, which the scorer treats alike).
pub fn stale_at(spec: &IndicatorSpec, latest: &Latest) -> Option<i64> {
    let age = spec.max_age_secs?.checked_mul(1_000_000)?;
    latest.observed_at.timestamp_micros().checked_add(age)?.checked_add(1)
}

/// Applies a reading to the state: newest event time wins, and of equal
/// times the one applied last (readings come in the order received).
pub fn apply(state: &mut HashMap<String, Latest>, reading: &Reading) -> bool {
    let observed_at = micros(reading.at);
    let mut changed = false;
    for (key, value) in reading.values {
        if state.get(key).is_none_or(|l| observed_at >= l.observed_at) {
            state.insert(key.clone(), Latest { value: *value, observed_at });
            changed = true;
        }
    }
    changed
}

/// Computes the points of the history from `from` (inclusive) until
/// `until` (exclusive), given `state`, each indicator's latest value before
/// `from`, and every reading in that range in the order received. Readings
/// sharing a time share a point. Stale instants after the last reading are
/// points only before `until`, so a caller computing the open end of a
/// history passes "now + 1 µs". `state` ends as the state at `until`.
pub fn replay(
    indicators: &[IndicatorSpec],
    score: impl Fn(&HashMap<String, Latest>, DateTime<Utc>) -> Score,
    state: &mut HashMap<String, Latest>,
    readings: &[Reading],
    from: i64,
    until: i64,
) -> Vec<(i64, Score)> {
    let mut points = Vec::new();
    let mut cursor = from;
    let mut rest = readings;
    loop {
        let next = rest.first().map_or(until, |r| r.at);
        while let Some(s) = next_stale(indicators, state, cursor, next) {
            points.push((s, score(state, micros(s))));
            cursor = s + 1;
        }
        let Some(first) = rest.first() else { break };
        let same = rest.iter().take_while(|r| r.at == first.at).count();
        for reading in &rest[..same] {
            apply(state, reading);
        }
        points.push((first.at, score(state, micros(first.at))));
        cursor = first.at + 1;
        rest = &rest[same..];
    }
    points
}

/// `evaluate` at each of `times` (ascending), given the state before the
/// first of them and the readings up to the last of them: what-if series.
/// `state` ends as the state after every reading.
pub fn sample<T>(
    evaluate: impl Fn(&HashMap<String, Latest>, DateTime<Utc>) -> T,
    state: &mut HashMap<String, Latest>,
    readings: &[Reading],
    times: &[i64],
) -> Vec<T> {
    let mut rest = readings;
    let values = times
        .iter()
        .map(|&t| {
            let due = rest.iter().take_while(|r| r.at <= t).count();
            for reading in &rest[..due] {
                apply(state, reading);
            }
            rest = &rest[due..];
            evaluate(state, micros(t))
        })
        .collect();
    for reading in rest {
        apply(state, reading);
    }
    values
}

/// The earliest instant in `[from, before)` at which a value of `state`
/// turns stale.
fn next_stale(indicators: &[IndicatorSpec], state: &HashMap<String, Latest>, from: i64, before: i64) -> Option<i64> {
    indicators
        .iter()
        .filter_map(|spec| stale_at(spec, state.get(&spec.key)?))
        .filter(|&s| s >= from && s < before)
        .min()
}

fn micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MissingPolicy, score};

    fn spec(key: &str, weight: f64, max_age_secs: Option<i64>) -> IndicatorSpec {
        IndicatorSpec { max_age_secs, ..IndicatorSpec::plain(key, weight) }
    }

    const S: i64 = 1_000_000;

    #[test]
    fn a_point_per_reading_time_and_one_when_a_value_turns_stale() {
        let specs = [spec("a", 60.0, Some(10)), spec("b", 40.0, None)];
        let a = [("a".to_string(), 30.0)];
        let b = [("b".to_string(), 50.0)];
        let readings =
            [Reading { at: 0, values: &a }, Reading { at: 0, values: &b }, Reading { at: 5 * S, values: &b }];
        let mut state = HashMap::new();
        let points = replay(&specs, |l, t| score(&specs, MissingPolicy::Zero, l, t), &mut state, &readings, 0, 100 * S);
        let got: Vec<(i64, f64)> = points.iter().map(|(t, s)| (*t, s.value)).collect();
        assert_eq!(got, [(0, 38.0), (5 * S, 38.0), (10 * S + 1, 20.0)]);
    }

    #[test]
    fn an_age_beyond_representable_time_never_turns_stale() {
        let latest = Latest { value: 1.0, observed_at: micros(0) };
        assert_eq!(stale_at(&spec("a", 1.0, Some(i64::MAX)), &latest), None);
        assert_eq!(stale_at(&spec("a", 1.0, Some(1)), &latest), Some(S + 1));
    }

    #[test]
    fn stale_instants_past_until_are_left_for_later() {
        let specs = [spec("a", 100.0, Some(10))];
        let a = [("a".to_string(), 30.0)];
        let mut state = HashMap::new();
        let points = replay(
            &specs,
            |l, t| score(&specs, MissingPolicy::Zero, l, t),
            &mut state,
            &[Reading { at: 0, values: &a }],
            0,
            10 * S + 1,
        );
        assert_eq!(points.len(), 1);
    }

    #[test]
    fn samples_see_the_readings_up_to_their_time() {
        let specs = [spec("a", 100.0, None)];
        let (one, two) = ([("a".to_string(), 1.0)], [("a".to_string(), 2.0)]);
        let readings = [Reading { at: 10, values: &one }, Reading { at: 20, values: &two }];
        let mut state = HashMap::new();
        let evaluate = |l: &HashMap<String, Latest>, t| score(&specs, MissingPolicy::Zero, l, t).value;
        let got = sample(evaluate, &mut state, &readings, &[5, 10, 15, 25]);
        assert_eq!(got, [0.0, 1.0, 1.0, 2.0]);
    }
}
