use chrono::{DateTime, Utc};

/// Timestamps are stored as microseconds since the Unix epoch so that they
/// sort, compare and bucket identically on SQLite and PostgreSQL.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}
