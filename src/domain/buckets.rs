//! Where chart buckets start and end. Buckets are `width` long and aligned
//! on the Unix epoch (midnight UTC), except that whole weeks start on
//! Mondays. With a time zone, buckets are whole local days (or weeks):
//! each starts at a local midnight, so a day across a daylight-saving
//! change is 23 or 25 hours long.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;

use super::rollup::floor_to;

const DAY: i64 = 86_400_000_000;
const WEEK: i64 = 7 * DAY;
/// 1970-01-05, the first Monday after the epoch, in days since it.
const FIRST_MONDAY: i64 = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buckets {
    /// µs.
    width: i64,
    tz: Option<Tz>,
}

impl Buckets {
    /// Buckets of `width` µs (positive), in local days of `tz` if given
    /// (then `width` must be whole days).
    pub fn new(width: i64, tz: Option<Tz>) -> Result<Self, String> {
        if width <= 0 {
            return Err("must be positive".into());
        }
        if tz.is_some() && width % DAY != 0 {
            return Err("a time zone applies to buckets of whole days (1d, 1w, 86400...) only".into());
        }
        Ok(Buckets { width, tz })
    }

    pub fn width(&self) -> i64 {
        self.width
    }

    /// The start (µs) of the bucket holding `at`.
    pub fn start(&self, at: i64) -> i64 {
        let origin = if self.width % WEEK == 0 { FIRST_MONDAY * DAY } else { 0 };
        let Some(tz) = self.tz else { return floor_to(at - origin, self.width) + origin };
        let days = self.width / DAY;
        let day = local_day(tz, at);
        let origin = origin / DAY;
        local_midnight(tz, floor_to(day - origin, days) + origin)
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn end(&self, start: i64) -> i64 {
        match self.tz {
            None => start + self.width,
            Some(tz) => local_midnight(tz, local_day(tz, start) + self.width / DAY),
        }
    }
}

/// Days from 1970-01-01 to the local date of `at`.
fn local_day(tz: Tz, at: i64) -> i64 {
    let utc = DateTime::from_timestamp_micros(at).unwrap_or_default();
    let date = utc.with_timezone(&tz).date_naive();
    i64::from(date.num_days_from_ce() - NaiveDate::default().num_days_from_ce())
}

/// The first instant (µs) of local day `day` (days from 1970-01-01): its
/// midnight, or where a daylight-saving gap skipping midnight ends.
fn local_midnight(tz: Tz, day: i64) -> i64 {
    let epoch = NaiveDate::default();
    let date = if day >= 0 {
        epoch.checked_add_days(Days::new(day as u64))
    } else {
        epoch.checked_sub_days(Days::new(day.unsigned_abs()))
    }
    .unwrap_or(epoch);
    let midnight = date.and_time(NaiveTime::MIN);
    (0..=24 * 4)
        .find_map(|quarter| tz.from_local_datetime(&(midnight + chrono::Duration::minutes(15 * quarter))).earliest())
        .map_or(day * DAY, |t| t.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp_micros()
    }

    #[test]
    fn utc_buckets_align_on_the_epoch_and_weeks_on_mondays() {
        let hour = Buckets::new(3_600_000_000, None).unwrap();
        let week = Buckets::new(WEEK, None).unwrap();

        assert_eq!(hour.start(at("2026-11-25T10:59:59Z")), at("2026-11-25T10:00:00Z"));
        // 2026-11-25 is a Wednesday.
        assert_eq!(week.start(at("2026-11-25T10:00:00Z")), at("2026-11-23T00:00:00Z"));
        assert_eq!(week.end(at("2026-11-23T00:00:00Z")), at("2026-11-30T00:00:00Z"));
    }

    #[test]
    fn local_days_start_at_local_midnight() {
        let shanghai = Buckets::new(DAY, Some(chrono_tz::Asia::Shanghai)).unwrap();
        let paris = Buckets::new(DAY, Some(chrono_tz::Europe::Paris)).unwrap();

        assert_eq!(shanghai.start(at("2026-11-25T17:00:00Z")), at("2026-11-25T16:00:00Z"));
        assert_eq!(shanghai.start(at("2026-11-25T15:59:59Z")), at("2026-11-24T16:00:00Z"));
        // 2026-03-29 has 23 hours in Paris.
        let spring = paris.start(at("2026-03-29T12:00:00Z"));
        assert_eq!(spring, at("2026-03-28T23:00:00Z"));
        assert_eq!(paris.end(spring), at("2026-03-29T22:00:00Z"));
    }

    #[test]
    fn a_time_zone_needs_whole_days() {
        assert!(Buckets::new(3_600_000_000, Some(chrono_tz::Asia::Shanghai)).is_err());
        assert!(Buckets::new(0, None).is_err());
    }
}
