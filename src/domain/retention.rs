//! How long history is kept: periods written as `30d`, `12h`, `2y`
//! (365 days) or plain seconds; `0` keeps forever.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rollup::floor_to;

const DAY_US: i64 = 86_400_000_000;

/// Periods in seconds; None keeps forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Retention {
    pub raw: Option<i64>,
    /// The 1-minute, 1-hour and 1-day rollup tiers.
    pub tiers: [Option<i64>; 3],
}

/// A project's overrides, as written: each a period (`"7d"`, `"0"` for
/// forever) or null for the server's configured one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    #[schema(example = "30d")]
    pub raw: Option<String>,
    #[schema(example = "90d")]
    pub minute: Option<String>,
    #[schema(example = "2y")]
    pub hour: Option<String>,
    #[schema(example = "0")]
    pub day: Option<String>,
}

/// `30d`, `12h`, `15m`, `2w`, `1y`, `3600` (seconds): its seconds, or None
/// for `0` (forever).
pub fn parse_period(text: &str) -> Result<Option<i64>, String> {
    let invalid = || format!("{text:?} is not a period such as 30d, 12h, 2y or 0 (forever)");
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: i64 = digits.parse().map_err(|_| invalid())?;
    let unit = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(invalid()),
    };
    // Past ~290 000 years µs overflow; nobody keeps data that long.
    match n.checked_mul(unit) {
        Some(0) => Ok(None),
        Some(secs) if secs <= 100_000 * 365 * 86_400 => Ok(Some(secs)),
        _ => Err(invalid()),
    }
}

/// Stored overrides: raw, minute, hour, day, in seconds; None = the
/// configured period, Some(0) = forever.
pub type Overrides = [Option<i64>; 4];

const FIELDS: [&str; 4] = ["raw", "minute", "hour", "day"];

impl RetentionSpec {
    /// The overrides this spec asks for; an error names the field.
    pub fn parse(&self) -> Result<Overrides, (&'static str, String)> {
        let mut overrides = [None; 4];
        for (n, given) in [&self.raw, &self.minute, &self.hour, &self.day].into_iter().enumerate() {
            if let Some(text) = given {
                overrides[n] = Some(parse_period(text).map_err(|e| (FIELDS[n], e))?.unwrap_or(0));
            }
        }
        Ok(overrides)
    }

    /// Overrides as written back: each in its largest whole unit.
    pub fn render(overrides: Overrides) -> Self {
        let [raw, minute, hour, day] = overrides.map(|o| o.map(render_period));
        RetentionSpec { raw, minute, hour, day }
    }
}

impl Retention {
    /// This configuration under a project's overrides.
    pub fn with(self, overrides: Overrides) -> Retention {
        let pick = |o: Option<i64>, configured| match o {
            Some(0) => None,
            Some(secs) => Some(secs),
            None => configured,
        };
        Retention {
            raw: pick(overrides[0], self.raw),
            tiers: [
                pick(overrides[1], self.tiers[0]),
                pick(overrides[2], self.tiers[1]),
                pick(overrides[3], self.tiers[2]),
            ],
        }
    }

    /// As a spec: every period written out.
    pub fn spec(&self) -> RetentionSpec {
        RetentionSpec::render([self.raw, self.tiers[0], self.tiers[1], self.tiers[2]].map(|p| Some(p.unwrap_or(0))))
    }
}

/// Seconds in the largest unit that divides them; 0 is forever.
fn render_period(secs: i64) -> String {
    let units = [(365 * 86_400, "y"), (7 * 86_400, "w"), (86_400, "d"), (3600, "h"), (60, "m")];
    match units.iter().find(|(size, _)| secs != 0 && secs % size == 0) {
        Some((size, unit)) => format!("{}{unit}", secs / size),
        None => secs.to_string(),
    }
}

/// Raw history before this time (µs) may go: `now - period`, rounded down
/// to midnight UTC so that no rollup bucket is ever half deleted.
pub fn raw_cutoff(now: i64, period: i64) -> i64 {
    floor_to(now - period * 1_000_000, DAY_US)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_take_units_and_zero_means_forever() {
        assert_eq!(parse_period("30d"), Ok(Some(30 * 86_400)));
        assert_eq!(parse_period("2y"), Ok(Some(2 * 365 * 86_400)));
        assert_eq!(parse_period("90"), Ok(Some(90)));
        assert_eq!(parse_period("0"), Ok(None));
        for bad in ["", "d", "-1d", "1.5d", "30 days", "999999999y"] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let configured = Retention { raw: Some(30), tiers: [Some(90), Some(730), None] };
        let spec = RetentionSpec {
            raw: Some("3d".into()),
            minute: Some("0".into()),
            day: Some("1y".into()),
            ..Default::default()
        };

        let overrides = spec.parse().unwrap();

        assert_eq!(overrides, [Some(3 * 86_400), Some(0), None, Some(365 * 86_400)]);
        assert_eq!(
            configured.with(overrides),
            Retention { raw: Some(3 * 86_400), tiers: [None, Some(730), Some(365 * 86_400)] }
        );
        assert_eq!(RetentionSpec::render(overrides), RetentionSpec { hour: None, ..spec });
        assert_eq!(RetentionSpec { hour: Some("soon".into()), ..Default::default() }.parse().unwrap_err().0, "hour");
    }

    #[test]
    fn the_raw_cutoff_is_a_utc_midnight() {
        let now = 1_764_400_000_000_000; // 2025-11-29T07:06:40Z
        assert_eq!(raw_cutoff(now, 86_400), 1_764_288_000_000_000); // 2025-11-28T00:00:00Z
    }
}
