//! The stored form of a breakdown: one JSON array per indicator instead of
//! an object, timestamps as integers. A breakdown is written with every
//! result, so its size is most of what an ingest writes to disk.

use serde::{Deserialize, Serialize};

use super::{from_micros, to_micros};
use crate::domain::{Contribution, Interval, MissingPolicy, Status};

/// key, weight, value, observed_at µs, [start, end, score], position,
/// contribution, status, effective weight. The effective weight is written
/// under `renormalize` only (null under `zero`, where it is the weight), so
/// it also records the policy; rows from before it have no such element.
#[derive(Serialize, Deserialize)]
struct Stored(
    String,
    f64,
    Option<f64>,
    Option<i64>,
    Option<(f64, f64, f64)>,
    Option<f64>,
    f64,
    Status,
    #[serde(default)] Option<f64>,
);

pub fn encode(breakdown: &[Contribution], policy: MissingPolicy) -> String {
    let stored: Vec<Stored> = breakdown
        .iter()
        .map(|c| {
            Stored(
                c.key.clone(),
                c.weight,
                c.value,
                c.observed_at.map(to_micros),
                c.interval.map(|i| (i.start, i.end, i.score)),
                c.position,
                c.contribution,
                c.status,
                (policy == MissingPolicy::Renormalize).then_some(c.effective_weight),
            )
        })
        .collect();
    serde_json::to_string(&stored).expect("plain data serialises")
}

/// The breakdown and the policy it was computed with, which an empty
/// breakdown does not tell.
pub fn decode(text: &str) -> Result<(Vec<Contribution>, Option<MissingPolicy>), serde_json::Error> {
    let stored: Vec<Stored> = serde_json::from_str(text)?;
    let policy = stored.first().map(|s| match s.8 {
        Some(_) => MissingPolicy::Renormalize,
        None => MissingPolicy::Zero,
    });
    let breakdown = stored
        .into_iter()
        .map(|Stored(key, weight, value, observed_at, interval, position, contribution, status, effective)| {
            Contribution {
                key,
                weight,
                effective_weight: effective.unwrap_or(weight),
                value,
                observed_at: observed_at.map(from_micros),
                interval: interval.map(|(start, end, score)| Interval { start, end, score }),
                position,
                contribution,
                status,
            }
        })
        .collect();
    Ok((breakdown, policy))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn breakdown(effective_weight: f64) -> Vec<Contribution> {
        let now = from_micros(to_micros(Utc::now()));
        vec![
            Contribution {
                key: "a".into(),
                weight: 50.0,
                effective_weight,
                value: Some(75.0),
                observed_at: Some(now),
                interval: Some(Interval { start: 100.0, end: 50.0, score: 100.0 }),
                position: Some(0.5),
                contribution: 25.0,
                status: Status::Ok,
            },
            Contribution {
                key: "b".into(),
                weight: 50.0,
                effective_weight: if effective_weight == 50.0 { 50.0 } else { 0.0 },
                value: None,
                observed_at: None,
                interval: None,
                position: None,
                contribution: 0.0,
                status: Status::Missing,
            },
        ]
    }

    #[test]
    fn a_breakdown_and_its_policy_survive_encoding() {
        for (policy, effective) in [(MissingPolicy::Zero, 50.0), (MissingPolicy::Renormalize, 100.0)] {
            let original = breakdown(effective);
            assert_eq!(decode(&encode(&original, policy)).unwrap(), (original, Some(policy)));
        }
        assert_eq!(decode("[]").unwrap(), (vec![], None));
    }

    #[test]
    fn rows_written_before_effective_weights_still_decode() {
        let old = r#"[["a",60.0,75.0,null,[50.0,100.0,100.0],0.5,30.0,"ok"]]"#;
        let (decoded, policy) = decode(old).unwrap();
        assert_eq!(policy, Some(MissingPolicy::Zero));
        assert_eq!(decoded[0].effective_weight, 60.0);
        assert_eq!(decoded[0].interval, Some(Interval { start: 50.0, end: 100.0, score: 100.0 }));
    }
}
