//! The stored form of a breakdown: one JSON array per indicator instead of
//! an object, timestamps as integers. A breakdown is written with every
//! result, so its size is most of what an ingest writes to disk.

use serde::{Deserialize, Serialize};

use super::{from_micros, to_micros};
use crate::domain::{Contribution, Interval, Status};

/// key, weight, value, observed_at µs, [min, max, score], position,
/// contribution, status.
#[derive(Serialize, Deserialize)]
struct Stored(String, f64, Option<f64>, Option<i64>, Option<(f64, f64, f64)>, Option<f64>, f64, Status);

pub fn encode(breakdown: &[Contribution]) -> String {
    let stored: Vec<Stored> = breakdown
        .iter()
        .map(|c| {
            Stored(
                c.key.clone(),
                c.weight,
                c.value,
                c.observed_at.map(to_micros),
                c.interval.map(|i| (i.min, i.max, i.score)),
                c.position,
                c.contribution,
                c.status,
            )
        })
        .collect();
    serde_json::to_string(&stored).expect("plain data serialises")
}

pub fn decode(text: &str) -> Result<Vec<Contribution>, serde_json::Error> {
    let stored: Vec<Stored> = serde_json::from_str(text)?;
    Ok(stored
        .into_iter()
        .map(|Stored(key, weight, value, observed_at, interval, position, contribution, status)| Contribution {
            key,
            weight,
            value,
            observed_at: observed_at.map(from_micros),
            interval: interval.map(|(min, max, score)| Interval { min, max, score }),
            position,
            contribution,
            status,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn a_breakdown_survives_encoding() {
        let now = from_micros(to_micros(Utc::now()));
        let breakdown = vec![
            Contribution {
                key: "a".into(),
                weight: 50.0,
                value: Some(75.0),
                observed_at: Some(now),
                interval: Some(Interval { min: 50.0, max: 100.0, score: 100.0 }),
                position: Some(0.5),
                contribution: 25.0,
                status: Status::Ok,
            },
            Contribution {
                key: "b".into(),
                weight: 50.0,
                value: None,
                observed_at: None,
                interval: None,
                position: None,
                contribution: 0.0,
                status: Status::Missing,
            },
        ];
        assert_eq!(decode(&encode(&breakdown)).unwrap(), breakdown);
    }
}
