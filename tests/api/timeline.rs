//! The history as a function of event time: backfills, late values,
//! staleness transitions, out-of-order pushes against a reference.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, expect, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_backfilled_point_sits_at_its_ts,
    a_late_value_recomputes_exactly_the_later_points_it_affects,
    a_value_turning_stale_is_a_point_of_its_own,
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
    // An age beyond representable time never comes, and must not upset
    // the sweep for the other projects.
    let forever = json!({"code": "forever", "indicators": [{"key": "a", "weight": 100, "max_age_secs": i64::MAX / 2}]});
    app.create_project(forever).await;
    app.push(json!({"project": "forever", "values": {"a": 1}})).await;
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

/// Up to 24 pushes in the first minute, each with some of a, b, c; a key
/// at most once per time (ties are broken by arrival, which differs
/// between the two orders).
fn pushes() -> impl Strategy<Value = Generated> {
    let push =
        (0..60i64, proptest::option::of(0..100u8), proptest::option::of(0..100u8), proptest::option::of(0..100u8));
    proptest::collection::vec(push, 1..24).prop_map(|rows| {
        let mut used = HashSet::new();
        rows.into_iter()
            .map(|(t, a, b, c)| {
                let values = [("a", a), ("b", b), ("c", c)]
                    .into_iter()
                    .filter_map(|(k, v)| v.filter(|_| used.insert((t, k))).map(|v| (k, f64::from(v))))
                    .collect();
                (t, values)
            })
            .filter(|(_, values): &(i64, Vec<(&str, f64)>)| !values.is_empty())
            .collect()
    })
}

/// The history by brute force: at every time a value changes or turns
/// stale, each indicator's latest value at that time.
fn reference(pushes: &Generated) -> Vec<(String, f64)> {
    let ages: BTreeMap<&str, Option<i64>> = BTreeMap::from([("a", None), ("b", Some(7)), ("c", None)]);
    let weights = BTreeMap::from([("a", 50.0), ("b", 30.0), ("c", 20.0)]);
    let holds = |vs: &Vec<(&str, f64)>, key: &str| vs.iter().any(|(k, _)| *k == key);
    let mut times: Vec<i64> = pushes.iter().map(|(t, _)| t * 1_000_000).collect();
    for (t, values) in pushes {
        let stale = (t + 7) * 1_000_000 + 1;
        let refreshed = pushes.iter().any(|(u, vs)| u > t && u * 1_000_000 <= stale && holds(vs, "b"));
        if holds(values, "b") && !refreshed {
            times.push(stale);
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
            let t = DateTime::from_timestamp_micros(T0 * 1_000_000 + at).unwrap();
            (t.to_rfc3339_opts(SecondsFormat::AutoSi, true), value)
        })
        .collect()
}

/// One server per backend for every generated case, on a runtime that
/// outlives each case.
fn shared(backend: Backend) -> &'static TestApp {
    static APPS: OnceLock<[TestApp; 2]> = OnceLock::new();
    per_backend(&APPS, backend, spawn_app)
}

/// The server of `backend` in `apps`, both made by `spawn` on first use
/// (on `runtime()`, where they keep running).
pub fn per_backend<F: Future<Output = TestApp>>(
    apps: &'static OnceLock<[TestApp; 2]>,
    backend: Backend,
    spawn: impl Fn(Backend) -> F,
) -> &'static TestApp {
    let apps = apps
        .get_or_init(|| runtime().block_on(async { [spawn(Backend::Sqlite).await, spawn(Backend::Postgres).await] }));
    &apps[if backend == Backend::Sqlite { 0 } else { 1 }]
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap())
}

/// Pushes `generated` in time order to one project and shuffled to
/// another; both histories must equal the reference.
fn in_any_order_the_history_is_the_reference(
    backend: Backend,
    generated: Generated,
    seed: u64,
) -> Result<(), TestCaseError> {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let case = CASE.fetch_add(1, Ordering::Relaxed);
    let app = shared(backend);
    let mut shuffled = generated.clone();
    shuffled.shuffle(&mut StdRng::seed_from_u64(seed));
    let mut sorted = generated.clone();
    sorted.sort_by_key(|(t, _)| *t);
    let expected = reference(&sorted);
    runtime().block_on(async {
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
            settled(app, &code).await;
            let got = history(app, &code).await;
            prop_assert_eq!(got.len(), expected.len(), "{}: {:?} vs {:?} from {:?}", code, got, expected, order);
            for (g, e) in got.iter().zip(&expected) {
                prop_assert!(
                    g.0 == e.0 && (g.1 - e.1).abs() < 1e-9,
                    "{}: {:?} != {:?} in {:?} from {:?}",
                    code,
                    g,
                    e,
                    got,
                    order
                );
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn out_of_order_pushes_give_the_reference_history_on_sqlite(generated in pushes(), seed in any::<u64>()) {
        in_any_order_the_history_is_the_reference(Backend::Sqlite, generated, seed)?;
    }

    #[test]
    fn out_of_order_pushes_give_the_reference_history_on_postgres(generated in pushes(), seed in any::<u64>()) {
        in_any_order_the_history_is_the_reference(Backend::Postgres, generated, seed)?;
    }
}
