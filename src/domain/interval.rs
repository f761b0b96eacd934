use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::FieldError;

/// A band from `start` to `end` worth `score` points at `end`. It covers
/// the values from the smaller endpoint (included) to the larger one
/// (excluded, except in the band with the largest upper end, so the top of
/// the scale scores). `start > end` is a "lower is better" band: the points
/// grow as the value goes down towards `end`. Input may name the endpoints
/// `min` and `max` (their former names) instead; answers always use
/// `start` and `end`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// Where the band scores 0 (`min` is accepted as its input name).
    #[serde(alias = "min")]
    #[schema(example = 50.0)]
    pub start: f64,
    /// Where the band scores `score`; differs from `start` (`max` is
    /// accepted as its input name).
    #[serde(alias = "max")]
    #[schema(example = 100.0)]
    pub end: f64,
    /// Points at `end` (0 to 1,000,000,000).
    #[schema(example = 100.0, minimum = 0.0, maximum = 1e9)]
    pub score: f64,
}

impl Interval {
    pub fn lower(&self) -> f64 {
        self.start.min(self.end)
    }

    pub fn upper(&self) -> f64 {
        self.start.max(self.end)
    }
}

/// Largest interval score; see `MAX_WEIGHT` in `project.rs`.
pub const MAX_SCORE: f64 = 1e9;

/// Checks bounds and overlap; `field` prefixes every error, e.g.
/// `indicators[0].intervals`.
pub fn validate_intervals(intervals: &[Interval], field: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, iv) in intervals.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if !(iv.start.is_finite() && iv.end.is_finite() && iv.score.is_finite()) {
            errors.push(FieldError::new(&at, "start, end and score must be finite numbers"));
        } else if iv.start == iv.end {
            errors.push(FieldError::new(
                format!("{at}.end"),
                format!(
                    "start and end are both {}: a band needs two different values; make end greater than start \
                     (higher is better) or less than start (lower is better)",
                    iv.start
                ),
            ));
        } else if !(0.0..=MAX_SCORE).contains(&iv.score) {
            errors.push(FieldError::new(
                format!("{at}.score"),
                format!("score must be >= 0 and <= {MAX_SCORE}, got {}", iv.score),
            ));
        }
    }
    if !errors.is_empty() {
        return errors;
    }
    let mut order: Vec<usize> = (0..intervals.len()).collect();
    order.sort_by(|&a, &b| intervals[a].lower().total_cmp(&intervals[b].lower()));
    for pair in order.windows(2) {
        let (a, b) = (intervals[pair[0]], intervals[pair[1]]);
        // Half-open ranges may touch (one's upper is the next's lower) but
        // not share values, whichever way each band runs.
        if b.lower() < a.upper() {
            errors.push(FieldError::new(
                format!("{field}[{}]", pair[1]),
                format!(
                    "{} to {} overlaps {field}[{}] ({} to {}); bands may touch but not share values",
                    b.lower(),
                    b.upper(),
                    pair[0],
                    a.lower(),
                    a.upper()
                ),
            ));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iv(start: f64, end: f64) -> Interval {
        Interval { start, end, score: 10.0 }
    }

    #[test]
    fn touching_intervals_and_gaps_are_valid() {
        assert!(validate_intervals(&[iv(50.0, 100.0), iv(0.0, 50.0), iv(200.0, 300.0)], "i").is_empty());
        assert!(validate_intervals(&[iv(100.0, 50.0), iv(0.0, 50.0), iv(300.0, 200.0)], "i").is_empty());
    }

    #[test]
    fn overlapping_intervals_name_the_later_one() {
        let errors = validate_intervals(&[iv(0.0, 60.0), iv(100.0, 50.0)], "x.intervals");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "x.intervals[1]");
        assert!(errors[0].message.contains("overlap"));
    }

    #[test]
    fn equal_endpoints_and_negative_scores_are_refused_but_descending_bands_are_not() {
        let equal = validate_intervals(&[iv(5.0, 5.0)], "i");
        assert_eq!(equal[0].field, "i[0].end");
        assert!(equal[0].message.contains("lower is better"), "{}", equal[0].message);
        assert!(validate_intervals(&[iv(6.0, 5.0)], "i").is_empty());
        let negative = Interval { start: 0.0, end: 1.0, score: -1.0 };
        assert_eq!(validate_intervals(&[negative], "i")[0].field, "i[0].score");
    }

    #[test]
    fn min_and_max_are_read_as_start_and_end_and_written_as_start_and_end() {
        let legacy: Interval = serde_json::from_str(r#"{"min": 50, "max": 0, "score": 100}"#).unwrap();
        assert_eq!(legacy, Interval { start: 50.0, end: 0.0, score: 100.0 });
        assert_eq!((legacy.lower(), legacy.upper()), (0.0, 50.0));
        let written = serde_json::to_value(legacy).unwrap();
        assert_eq!(written, serde_json::json!({"start": 50.0, "end": 0.0, "score": 100.0}));
    }

    proptest! {
        #[test]
        fn validator_accepts_exactly_the_sets_without_shared_values(
            bands in prop::collection::vec((-1000i32..1000, 1i32..200, any::<bool>()), 1..6)
        ) {
            let intervals: Vec<Interval> = bands
                .iter()
                .map(|&(lo, len, descending)| {
                    let (lo, hi) = (lo as f64, (lo + len) as f64);
                    if descending { iv(hi, lo) } else { iv(lo, hi) }
                })
                .collect();
            let overlaps = intervals.iter().enumerate().any(|(i, a)| {
                intervals.iter().skip(i + 1).any(|b| a.lower() < b.upper() && b.lower() < a.upper())
            });
            prop_assert_eq!(validate_intervals(&intervals, "i").is_empty(), !overlaps);
        }
    }
}
