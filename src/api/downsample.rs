//! The chart options of the history routes: `step`, `agg`, `tz` and
//! `format`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::params::{MAX_BUCKETS, RangeParams, parse_step};
use super::problem::ApiError;
use crate::domain::{Agg, Buckets};
use crate::store::{Page, PageRequest};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Downsample {
    /// Bucket width for charts: `30s`, `5m`, `1h`, `1d`, `1w` or plain
    /// seconds. Buckets start at multiples of the width from midnight UTC,
    /// 1970-01-01 (whole weeks: from Monday 00:00). Steps that are
    /// multiples of 1 minute, 1 hour or 1 day are answered from rollups.
    pub step: Option<String>,
    /// How to sum a bucket up: `avg` (default), `min`, `max`, `first`,
    /// `last` or `count`.
    pub agg: Option<String>,
    /// IANA time zone (e.g. `Asia/Shanghai`) for steps of whole days or
    /// weeks: buckets then start at local midnights.
    pub tz: Option<String>,
    /// `columns` for `{"t": [Unix seconds...], "v": [values...],
    /// "next_cursor": ...}`, as charting libraries take it; default `items`.
    pub format: Option<String>,
}

/// How to bucket a history.
pub struct Chart {
    pub buckets: Buckets,
    pub agg: Agg,
}

/// A page of history as two columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct Columns {
    /// Times: bucket starts or event times, in Unix seconds.
    pub t: Vec<f64>,
    pub v: Vec<f64>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl Columns {
    pub fn of<T>(page: Page<T>, point: impl Fn(&T) -> (DateTime<Utc>, f64)) -> Self {
        let (t, v) = page.items.iter().map(point).map(|(t, v)| (t.timestamp_micros() as f64 / 1e6, v)).unzip();
        Columns { t, v, next_cursor: page.next_cursor }
    }
}

impl Downsample {
    /// The page asked for: up to `MAX_BUCKETS` with `step`.
    pub fn page(&self, range: &RangeParams) -> Result<PageRequest, ApiError> {
        if self.step.is_some() { range.page_up_to(MAX_BUCKETS) } else { range.page() }
    }

    /// The buckets asked for; None without `step`.
    pub fn chart(&self, page: &PageRequest) -> Result<Option<Chart>, ApiError> {
        let Some(step) = self.step.as_deref() else {
            if self.agg.is_some() || self.tz.is_some() {
                let field = if self.agg.is_some() { "agg" } else { "tz" };
                return Err(ApiError::invalid(field, "only applies with step, e.g. step=1d&agg=avg&tz=Asia/Shanghai"));
            }
            return Ok(None);
        };
        if page.descending {
            return Err(ApiError::invalid("order", "buckets are always oldest first; leave order out with step"));
        }
        let tz = self.tz.as_deref().map(parse_tz).transpose()?;
        let buckets = Buckets::new(parse_step(step)?, tz).map_err(|e| ApiError::invalid("tz", e))?;
        Ok(Some(Chart { buckets, agg: parse_agg(self.agg.as_deref())? }))
    }

    /// Whether the answer is wanted as columns.
    pub fn columns(&self) -> Result<bool, ApiError> {
        match self.format.as_deref() {
            None | Some("items") => Ok(false),
            Some("columns") => Ok(true),
            Some(other) => Err(ApiError::invalid("format", format!("must be items or columns, got {other:?}"))),
        }
    }
}

fn parse_tz(tz: &str) -> Result<Tz, ApiError> {
    tz.parse().map_err(|_| {
        ApiError::invalid("tz", format!("{tz:?} is not an IANA time zone; use a name such as Asia/Shanghai or UTC"))
    })
}

fn parse_agg(agg: Option<&str>) -> Result<Agg, ApiError> {
    match agg.unwrap_or("avg") {
        "avg" => Ok(Agg::Avg),
        "min" => Ok(Agg::Min),
        "max" => Ok(Agg::Max),
        "first" => Ok(Agg::First),
        "last" => Ok(Agg::Last),
        "count" => Ok(Agg::Count),
        other => Err(ApiError::invalid("agg", format!("must be avg, min, max, first, last or count, got {other:?}"))),
    }
}
