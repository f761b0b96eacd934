//! What a bucket of history keeps so that charts never rescan raw points:
//! count, sum, min, max, first and last. Cells merge, so a bucket of a
//! coarse tier (or of a chart) is the merge of the finer ones it covers.

/// The points of one bucket, summarised. `first` and `last` are (event
/// time µs, value); of points sharing a time, the one stored first is
/// `first` and the one stored last is `last`, as in raw order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    pub count: i64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub first: (i64, f64),
    pub last: (i64, f64),
}

/// How a chart bucket is summed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    Avg,
    Min,
    Max,
    First,
    Last,
    Count,
}

/// Rollup tiers in µs, finest first: 1 minute, 1 hour, 1 day (UTC).
pub const TIERS: [i64; 3] = [60_000_000, 3_600_000_000, 86_400_000_000];

impl Cell {
    pub fn point(at: i64, value: f64) -> Self {
        Cell { count: 1, sum: value, min: value, max: value, first: (at, value), last: (at, value) }
    }

    /// Adds the points of `later`, which were stored after this cell's:
    /// on equal times its `last` wins and its `first` does not.
    pub fn merge(&mut self, later: &Cell) {
        self.count += later.count;
        self.sum += later.sum;
        self.min = self.min.min(later.min);
        self.max = self.max.max(later.max);
        if later.first.0 < self.first.0 {
            self.first = later.first;
        }
        if later.last.0 >= self.last.0 {
            self.last = later.last;
        }
    }

    pub fn answer(&self, agg: Agg) -> f64 {
        match agg {
            Agg::Avg => self.sum / self.count as f64,
            Agg::Min => self.min,
            Agg::Max => self.max,
            Agg::First => self.first.1,
            Agg::Last => self.last.1,
            Agg::Count => self.count as f64,
        }
    }
}

/// The start of the `width`-µs bucket holding `at`, aligned on the epoch.
pub fn floor_to(at: i64, width: i64) -> i64 {
    at.div_euclid(width) * width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_cells_answer_as_their_points_would() {
        let mut cell = Cell::point(10, 4.0);
        cell.merge(&Cell::point(5, 1.0));
        cell.merge(&Cell::point(20, 7.0));
        cell.merge(&Cell::point(20, 2.0));

        assert_eq!(cell.answer(Agg::Count), 4.0);
        assert_eq!(cell.answer(Agg::Avg), 3.5);
        assert_eq!((cell.answer(Agg::Min), cell.answer(Agg::Max)), (1.0, 7.0));
        assert_eq!((cell.answer(Agg::First), cell.answer(Agg::Last)), (1.0, 2.0));
    }

    #[test]
    fn buckets_floor_before_the_epoch_too() {
        assert_eq!(floor_to(-1, 60), -60);
        assert_eq!(floor_to(119, 60), 60);
    }
}
