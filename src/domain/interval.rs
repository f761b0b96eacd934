use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::FieldError;

/// A band of values `[min, max)` (the top band is closed on the right) worth
/// `score` points at its far end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    #[schema(example = 50.0)]
    pub min: f64,
    #[schema(example = 100.0)]
    pub max: f64,
    /// Points at the band's far end (0 to 1,000,000,000).
    #[schema(example = 100.0, minimum = 0.0, maximum = 1e9)]
    pub score: f64,
}

/// Largest interval score; see `MAX_WEIGHT` in `project.rs`.
pub const MAX_SCORE: f64 = 1e9;

/// Checks bounds and overlap; `field` prefixes every error, e.g.
/// `indicators[0].intervals`.
pub fn validate_intervals(intervals: &[Interval], field: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, iv) in intervals.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if !(iv.min.is_finite() && iv.max.is_finite() && iv.score.is_finite()) {
            errors.push(FieldError::new(&at, "min, max and score must be finite numbers"));
        } else if iv.min >= iv.max {
            errors.push(FieldError::new(&at, format!("min ({}) must be less than max ({})", iv.min, iv.max)));
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
    order.sort_by(|&a, &b| intervals[a].min.total_cmp(&intervals[b].min));
    for pair in order.windows(2) {
        let (a, b) = (intervals[pair[0]], intervals[pair[1]]);
        // Half-open bands may touch (max == next min) but not share values.
        if b.min < a.max {
            errors.push(FieldError::new(
                format!("{field}[{}]", pair[1]),
                format!(
                    "[{}, {}] overlaps {field}[{}] = [{}, {}]; make each min >= the previous max",
                    b.min, b.max, pair[0], a.min, a.max
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

    fn iv(min: f64, max: f64) -> Interval {
        Interval { min, max, score: 10.0 }
    }

    #[test]
    fn touching_intervals_and_gaps_are_valid() {
        assert!(validate_intervals(&[iv(50.0, 100.0), iv(0.0, 50.0), iv(200.0, 300.0)], "i").is_empty());
    }

    #[test]
    fn overlapping_intervals_name_the_later_one() {
        let errors = validate_intervals(&[iv(0.0, 60.0), iv(50.0, 100.0)], "x.intervals");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "x.intervals[1]");
        assert!(errors[0].message.contains("overlaps"));
    }

    #[test]
    fn empty_or_inverted_bounds_and_negative_scores_are_refused() {
        assert_eq!(validate_intervals(&[iv(5.0, 5.0)], "i")[0].field, "i[0]");
        assert_eq!(validate_intervals(&[iv(6.0, 5.0)], "i")[0].field, "i[0]");
        let negative = Interval { min: 0.0, max: 1.0, score: -1.0 };
        assert_eq!(validate_intervals(&[negative], "i")[0].field, "i[0].score");
    }

    proptest! {
        #[test]
        fn validator_accepts_exactly_the_sets_without_shared_values(
            bands in prop::collection::vec((-1000i32..1000, 1i32..200), 1..6)
        ) {
            let intervals: Vec<Interval> =
                bands.iter().map(|&(min, len)| iv(min as f64, (min + len) as f64)).collect();
            let overlaps = intervals.iter().enumerate().any(|(i, a)| {
                intervals.iter().skip(i + 1).any(|b| a.min < b.max && b.min < a.max)
            });
            prop_assert_eq!(validate_intervals(&intervals, "i").is_empty(), !overlaps);
        }
    }
}
