use chrono::{DateTime, Utc};

/// Timestamps are stored as microseconds since the Unix epoch so that they
/// sort, compare and bucket identically on SQLite and PostgreSQL.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// Serialises a time as chrono does (RFC 3339, `Z`, 0/3/6/9 fraction
/// digits) without going through `fmt`: a page of history holds hundreds.
pub fn serialize_rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; 32];
    let len = write_rfc3339(t, &mut buf);
    s.serialize_str(std::str::from_utf8(&buf[..len]).expect("ASCII digits"))
}

fn write_rfc3339(t: &DateTime<Utc>, buf: &mut [u8; 32]) -> usize {
    use chrono::{Datelike, Timelike};
    // Each field of a `DateTime` converts it to local time again.
    let t = t.naive_utc();
    buf[..20].copy_from_slice(b"0000-00-00T00:00:00.");
    digits(&mut buf[0..4], t.year() as u32);
    digits(&mut buf[5..7], t.month());
    digits(&mut buf[8..10], t.day());
    digits(&mut buf[11..13], t.hour());
    digits(&mut buf[14..16], t.minute());
    digits(&mut buf[17..19], t.second());
    let nanos = t.nanosecond() % 1_000_000_000;
    let (fraction, width) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    let end = if width == 0 { 19 } else { 20 + width };
    digits(&mut buf[20..end.max(20)], fraction);
    buf[end] = b'Z';
    end + 1
}

/// Writes `n` in decimal, zero-padded to fill `out`.
fn digits(out: &mut [u8], mut n: u32) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{SecondsFormat, TimeZone};

    use super::*;

    #[test]
    fn fast_rfc3339_matches_chrono() {
        let base = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        for extra_ns in [0, 120_000_000, 123_456_000, 123_456_789, 7_000, 999_999_999] {
            let t = base + chrono::Duration::nanoseconds(extra_ns);
            let mut buf = [0u8; 32];
            let len = write_rfc3339(&t, &mut buf);
            assert_eq!(std::str::from_utf8(&buf[..len]).unwrap(), t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
    }
}
