//! Query and path parameters shared by the listing endpoints.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::ApiError;
use crate::domain::is_slug;
use crate::store::{Cursor, PageRequest, to_micros};

const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1000;

/// A time-ordered listing's window and page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// Inclusive start, RFC 3339 (e.g. `2026-11-23T00:00:00Z`).
    pub from: Option<String>,
    /// Exclusive end, RFC 3339.
    pub to: Option<String>,
    /// Page size, 1 to 1000 (default 100); with `step`, up to 10000 buckets.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `asc` (oldest first, the default) or `desc`.
    pub order: Option<String>,
}

/// Chart buckets are small: a year of hours fits in one page.
pub const MAX_BUCKETS: u64 = 10_000;

pub fn limit(limit: Option<u64>) -> Result<u64, ApiError> {
    limit_up_to(limit, MAX_LIMIT)
}

fn limit_up_to(limit: Option<u64>, max: u64) -> Result<u64, ApiError> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n if (1..=max).contains(&n) => Ok(n),
        n => Err(ApiError::invalid("limit", format!("must be between 1 and {max}, got {n}"))),
    }
}

pub fn path_slug(field: &str, value: &str) -> Result<(), ApiError> {
    if is_slug(value) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("{value:?} is not a valid slug: use 1-64 characters of a-z, 0-9, '_' or '-'"),
        ))
    }
}

impl RangeParams {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        self.page_up_to(MAX_LIMIT)
    }

    /// The page, allowing up to `max` items.
    pub fn page_up_to(&self, max: u64) -> Result<PageRequest, ApiError> {
        let descending = match self.order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(ApiError::invalid("order", format!("must be asc or desc, got {other:?}"))),
        };
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(Cursor::parse(c).ok_or_else(|| {
                ApiError::invalid(
                    "cursor",
                    "not a cursor from this API; pass next_cursor of the previous page unchanged",
                )
            })?),
        };
        Ok(PageRequest {
            from: parse_time("from", self.from.as_deref())?,
            to: parse_time("to", self.to.as_deref())?,
            limit: limit_up_to(self.limit, max)?,
            after,
            descending,
        })
    }
}

/// An optional RFC 3339 parameter, in µs since the epoch.
pub fn parse_time(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v).map(|t| to_micros(t.with_timezone(&Utc))).map_err(|e| {
                ApiError::invalid(field, format!("{v:?} is not an RFC 3339 time such as 2026-11-23T08:00:00Z ({e})"))
            })
        })
        .transpose()
}

/// Step in microseconds.
pub fn parse_step(step: &str) -> Result<i64, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "step",
            format!("{step:?} is not a step such as 30s, 5m, 1h, 1d, 1w or 60 (at most 366 days)"),
        )
    };
    let (digits, unit) = step.split_at(step.find(|c: char| !c.is_ascii_digit()).unwrap_or(step.len()));
    let n: i64 = digits.parse().map_err(|_| invalid())?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(invalid()),
    };
    match n.checked_mul(secs * 1_000_000) {
        Some(us) if n > 0 && us <= 366 * 86_400 * 1_000_000 => Ok(us),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_take_units_and_plain_seconds() {
        assert_eq!(parse_step("30s").unwrap(), 30_000_000);
        assert_eq!(parse_step("5m").unwrap(), 300_000_000);
        assert_eq!(parse_step("2h").unwrap(), 7_200_000_000);
        assert_eq!(parse_step("60").unwrap(), 60_000_000);
        assert_eq!(parse_step("1w").unwrap(), 604_800_000_000);
        for bad in ["", "0s", "m", "5y", "-5m", "1.5h", "60w"] {
            assert!(parse_step(bad).is_err(), "{bad}");
        }
    }
}
