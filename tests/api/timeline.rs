//! The history as a function of event time: backfills, late values,
//! staleness transitions, out-of-order pushes against a reference.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_backfilled_point_sits_at_its_ts,
    a_late_value_recomputes_exactly_the_later_points_it_affects,
    a_value_turning_stale_is_a_point_of_its_own,
    out_of_order_pushes_give_the_history_of_in_order_pushes,
);

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn ts(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).unwrap().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every point as (event time, value), oldest first.
pub async fn history(app: &TestApp, code: &str) -> Vec<(String, f64)> {
    let (mut points, mut path) = (Vec::new(), format!("/v1/projects/{code}/index/history?limit=1000"));
    loop {
        let page = expect(app.get(&path).await, StatusCode::OK).await;
        for p in page["items"].as_array().unwrap() {
            points.push((p["at"].as_str().unwrap().to_string(), p["value"].as_f64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/projects/{code}/index/history?limit=1000&cursor={c}"),
            None => return points,
        }
    }
}

/// Waits until the project has no recompute job left (10 s at most).
pub async fn settled(app: &TestApp, code: &str) {
    for _ in 0..200 {
        let jobs = expect(app.get(&format!("/v1/projects/{code}/jobs")).await, StatusCode::OK).await;
        if jobs.as_array().unwrap().iter().all(|j| j["state"] == "done") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the jobs of {code} did not finish within 10 s");
}

fn plain(code: &str) -> Value {
    json!({"code": code, "indicators": [{"key": "a", "weight": 60}, {"key": "b", "weight": 40}]})
}

async fn a_backfilled_point_sits_at_its_ts(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain("p")).await;

    let pushed = app.push(json!({"project": "p", "ts": ts(T0), "values": {"a": 30, "b": 50}})).await;

    assert_eq!(pushed["at"], ts(T0));
    assert_eq!(history(&app, "p").await, [(ts(T0), 38.0)]);
    let index = expect(app.get("/v1/projects/p/index").await, StatusCode::OK).await;
    assert_eq!(index["at"], ts(T0));
}

async fn a_late_value_recomputes_exactly_the_later_points_it_affects(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain("p")).await;
    for (t, values) in [(1, json!({"a": 10})), (2, json!({"b": 10})), (4, json!({"a": 20})), (5, json!({"b": 20}))] {
        app.push(json!({"project": "p", "ts": ts(T0 + t), "values": values})).await;
    }
    let before = history(&app, "p").await;

    // a=30 at t3 holds until a's next value at t4: only the new point.
    let late = app.push(json!({"project": "p", "ts": ts(T0 + 3), "values": {"a": 30}})).await;
    settled(&app, "p").await;
    let after_a = history(&app, "p").await;
    // b=40 at t3 holds until b's next value at t5: t3 and t4 change.
    app.push(json!({"project": "p", "ts": ts(T0 + 3), "values": {"b": 40}})).await;
    settled(&app, "p").await;
    let after_b = history(&app, "p").await;

    assert_eq!(before.len(), 4);
    assert_eq!(late["at"], ts(T0 + 3));
    assert_eq!(late["value"], 30.0 * 0.6 + 10.0 * 0.4);
    let values = |h: &[(String, f64)]| h.iter().map(|p| p.1).collect::<Vec<f64>>();
    assert_eq!(values(&after_a), [6.0, 10.0, 22.0, 16.0, 20.0]);
    assert_eq!(values(&after_b), [6.0, 10.0, 34.0, 28.0, 20.0]);
    let times: Vec<String> = (1..=5).map(|t| ts(T0 + t)).collect();
    assert_eq!(after_b.iter().map(|p| p.0.clone()).collect::<Vec<_>>(), times);
    let computed = expect(app.get("/v1/jobs/1").await, StatusCode::OK).await;
    assert_eq!(computed["points"], 1, "a's late value recomputed one point: {computed}");
    let second = expect(app.get("/v1/jobs/2").await, StatusCode::OK).await;
    assert_eq!(second["points"], 2, "b's late value recomputed t3 and t4 only: {second}");
}

async fn a_value_turning_stale_is_a_point_of_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    let project = json!({"code": "p", "indicators": [{"key": "a", "weight": 100, "max_age_secs": 10}]});
    app.create_project(project).await;
    let old = Utc::now().timestamp() - 100;

    // Recomputed history: the instant is written with the value.
    app.push(json!({"project": "p", "ts": ts(old), "values": {"a": 7}})).await;
    let past = history(&app, "p").await;
    // Live: a value 9 s old turns stale a second from now; the upkeep
    // writes that point within its tick.
    let recent = Utc::now().timestamp() - 9;
    app.push(json!({"project": "p", "ts": ts(recent), "values": {"a": 5}})).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let live = loop {
        let h = history(&app, "p").await;
        if h.len() == 4 || std::time::Instant::now() > deadline {
            break h;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let stale_at =
        |secs: i64| DateTime::from_timestamp(secs + 10, 1000).unwrap().to_rfc3339_opts(SecondsFormat::AutoSi, true);
    assert_eq!(past, [(ts(old), 7.0), (stale_at(old), 0.0)]);
    assert_eq!(live.len(), 4, "{live:?}");
    assert_eq!((live[3].0.clone(), live[3].1), (stale_at(recent), 0.0));
    let index = expect(app.get("/v1/projects/p/index").await, StatusCode::OK).await;
    assert_eq!(index["breakdown"][0]["status"], "stale");
}

/// One push of the generated history: seconds after T0, and values.
type Generated = Vec<(i64, Vec<(&'static str, f64)>)>;

fn generate(rng: &mut StdRng) -> Generated {
    let mut used = std::collections::HashSet::new();
    let mut pushes = Vec::new();
    for _ in 0..rng.random_range(3..25) {
        let t = rng.random_range(0..60i64);
        let mut values = Vec::new();
        for key in ["a", "b", "c"] {
            // A key at most once per time: ties are broken by arrival,
            // which differs between the two orders.
            if rng.random_bool(0.5) && used.insert((t, key)) {
                values.push((key, rng.random_range(0..100) as f64));
            }
        }
        if !values.is_empty() {
            pushes.push((t, values));
        }
    }
    pushes
}

/// The history by brute force: at every time a value changes or turns
/// stale, each indicator's latest value at that time.
fn reference(pushes: &Generated) -> Vec<(i64, f64)> {
    let ages: BTreeMap<&str, Option<i64>> = BTreeMap::from([("a", None), ("b", Some(7)), ("c", None)]);
    let weights = BTreeMap::from([("a", 50.0), ("b", 30.0), ("c", 20.0)]);
    let mut times: Vec<i64> = pushes.iter().map(|(t, _)| t * 1_000_000).collect();
    for (t, values) in pushes {
        if values.iter().any(|(k, _)| *k == "b") {
            let stale = (t + 7) * 1_000_000 + 1;
            let refreshed =
                pushes.iter().any(|(u, vs)| u > t && u * 1_000_000 <= stale && vs.iter().any(|(k, _)| *k == "b"));
            if !refreshed {
                times.push(stale);
            }
        }
    }
    times.sort();
    times.dedup();
    times
        .into_iter()
        .map(|at| {
            let value = weights
                .iter()
                .filter_map(|(key, w)| {
                    let (t, v) = pushes
                        .iter()
                        .filter(|(t, _)| t * 1_000_000 <= at)
                        .filter_map(|(t, vs)| vs.iter().find(|(k, _)| k == key).map(|(_, v)| (*t, *v)))
                        .max_by_key(|(t, _)| *t)?;
                    let stale = ages[key].is_some_and(|age| at - t * 1_000_000 > age * 1_000_000);
                    (!stale).then_some(v * w / 100.0)
                })
                .sum();
            (at, value)
        })
        .collect()
}

async fn out_of_order_pushes_give_the_history_of_in_order_pushes(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut rng = StdRng::seed_from_u64(11);
    for case in 0..6 {
        let pushes = generate(&mut rng);
        let mut shuffled = pushes.clone();
        shuffled.shuffle(&mut rng);
        let mut sorted = pushes.clone();
        sorted.sort_by_key(|(t, _)| *t);
        for (code, order) in [(format!("in{case}"), &sorted), (format!("out{case}"), &shuffled)] {
            let project = json!({"code": code, "indicators": [
                {"key": "a", "weight": 50}, {"key": "b", "weight": 30, "max_age_secs": 7}, {"key": "c", "weight": 20}
            ]});
            app.create_project(project).await;
            for (t, values) in order.iter() {
                let values: serde_json::Map<String, Value> =
                    values.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
                app.push(json!({"project": code, "ts": ts(T0 + t), "values": values})).await;
            }
            settled(&app, &code).await;
        }

        let expected: Vec<(String, f64)> = reference(&sorted)
            .into_iter()
            .map(|(at, v)| {
                let t = DateTime::from_timestamp_micros(T0 * 1_000_000 + at).unwrap();
                (t.to_rfc3339_opts(SecondsFormat::AutoSi, true), v)
            })
            .collect();
        for code in [format!("in{case}"), format!("out{case}")] {
            let got = history(&app, &code).await;
            assert_eq!(got.len(), expected.len(), "{code}: {got:?} vs {expected:?} from {pushes:?}");
            for (g, e) in got.iter().zip(&expected) {
                assert!(g.0 == e.0 && (g.1 - e.1).abs() < 1e-9, "{code}: {g:?} != {e:?} in {got:?} from {shuffled:?}");
            }
        }
    }
}
