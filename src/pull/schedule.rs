use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds};

/// When a source is pulled: a cron pattern (5 fields, or 6 with seconds
/// first; `@hourly`-style aliases) or a fixed period (`@every 30s`).
#[derive(Debug, Clone)]
pub enum Schedule {
    Cron(Box<Cron>),
    Every(Duration),
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(period) = s.strip_prefix("@every") {
            return parse_period(period.trim()).map(Schedule::Every);
        }
        CronParser::builder().seconds(Seconds::Optional).build().parse(s).map(|c| Schedule::Cron(Box::new(c))).map_err(
            |e| {
                format!(
                    "{s:?} is not a schedule ({e}); use cron with seconds \"0 */5 * * * *\", \
                     5-field cron \"*/5 * * * *\", @hourly/@daily/@weekly/@monthly/@yearly or \"@every 30s\""
                )
            },
        )
    }
}

impl Schedule {
    /// The next run strictly after `now`. A fixed period stays on the grid of
    /// `previous` (the run just due), so a late tick does not make it drift.
    pub fn next_after(&self, previous: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Every(period) => {
                let Some(previous) = previous else { return Some(now + *period) };
                let next = previous + *period;
                if next > now {
                    return Some(next);
                }
                let period_us = period.num_microseconds()?;
                let behind = (now - previous).num_microseconds()?;
                Some(previous + Duration::microseconds((behind / period_us + 1) * period_us))
            }
            Schedule::Cron(cron) => cron.find_next_occurrence(&now, false).ok(),
        }
    }
}

/// `30s`, `5m`, `1h30m`, `1d`: at least one second.
fn parse_period(s: &str) -> Result<Duration, String> {
    let invalid = || format!("\"@every {s}\" needs a period such as 30s, 5m, 1h30m or 1d (at least 1s)");
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| invalid())?;
        digits.clear();
        let unit = match c {
            's' => Duration::seconds(1),
            'm' => Duration::minutes(1),
            'h' => Duration::hours(1),
            'd' => Duration::days(1),
            _ => return Err(invalid()),
        };
        total += unit * i32::try_from(n).map_err(|_| invalid())?;
    }
    if !digits.is_empty() || total < Duration::seconds(1) || total > Duration::days(366) {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, h, m, s).unwrap()
    }

    fn next(schedule: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        schedule.parse::<Schedule>().unwrap().next_after(None, now).unwrap()
    }

    #[test]
    fn cron_with_and_without_seconds_and_aliases() {
        assert_eq!(next("0 */5 * * * *", at(10, 2, 7)), at(10, 5, 0));
        assert_eq!(next("*/5 * * * *", at(10, 2, 7)), at(10, 5, 0));
        assert_eq!(next("30 * * * * *", at(10, 2, 7)), at(10, 2, 30));
        assert_eq!(next("@hourly", at(10, 2, 7)), at(11, 0, 0));
        assert_eq!(next("@daily", at(10, 2, 7)), Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap());
        for alias in ["@weekly", "@monthly", "@yearly"] {
            assert!(next(alias, at(10, 0, 0)) > at(10, 0, 0), "{alias}");
        }
    }

    #[test]
    fn every_periods_parse_in_units() {
        assert_eq!(next("@every 30s", at(10, 0, 0)), at(10, 0, 30));
        assert_eq!(next("@every 1h30m", at(10, 0, 0)), at(11, 30, 0));
    }

    #[test]
    fn a_fixed_period_keeps_its_grid_when_a_run_is_late() {
        let every: Schedule = "@every 10s".parse().unwrap();
        assert_eq!(every.next_after(Some(at(10, 0, 0)), at(10, 0, 0)), Some(at(10, 0, 10)));
        assert_eq!(every.next_after(Some(at(10, 0, 0)), at(10, 0, 3)), Some(at(10, 0, 10)));
        assert_eq!(every.next_after(Some(at(10, 0, 0)), at(10, 0, 35)), Some(at(10, 0, 40)), "missed runs are skipped");
    }

    #[test]
    fn bad_schedules_explain_the_accepted_forms() {
        for bad in ["", "every minute", "@every", "@every 0s", "@every 5x", "@every 10", "61 * * * *"] {
            let err = bad.parse::<Schedule>().unwrap_err();
            assert!(err.contains("@every") || err.contains("period"), "{bad}: {err}");
        }
    }
}
