//! Chart buckets answered from rollups equal the same buckets computed
//! here, from the raw points and values the API lists, for random
//! histories (late values included, before and after how far the rollups
//! are built), steps, aggregates, ranges and pages.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, error_fields, expect, expect_problem, fresh_database, spawn_app, spawn_with, test_settings,
};
use crate::on_both_backends;
use crate::timeline::{per_backend, runtime, settled};

on_both_backends!(
    chart_options_are_validated,
    columns_are_what_a_chart_library_takes,
    history_stored_before_rollups_gets_them_built,
);

const T0: i64 = 1_766_966_400; // 2025-12-29T00:00:00Z, a Monday
const DAY: i64 = 86_400;

fn ts(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).unwrap().to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn micros(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text).unwrap().timestamp_micros()
}

/// Pushes: seconds after T0 (over 10 days, bunched so buckets of every
/// tier hold several), and values of a and b.
type Generated = Vec<(i64, Option<u8>, Option<u8>)>;

fn pushes() -> impl Strategy<Value = Generated> {
    let time = prop_oneof![0..10 * DAY, 0..600i64, (0..3i64).prop_map(|h| DAY + h * 3600 - 1)];
    let push = (time, proptest::option::of(0..100u8), proptest::option::of(0..100u8));
    proptest::collection::vec(push, 1..40)
        .prop_map(|rows| rows.into_iter().filter(|(_, a, b)| a.is_some() || b.is_some()).collect())
}

/// A chart query: step (s), aggregate, time zone, range (s after T0),
/// page size.
#[derive(Debug, Clone)]
struct Query {
    step: i64,
    agg: &'static str,
    tz: bool,
    range: (Option<i64>, Option<i64>),
    limit: u64,
}

fn queries() -> impl Strategy<Value = Vec<Query>> {
    let step = prop_oneof![
        Just(30i64),
        Just(60),
        Just(90),
        Just(300),
        Just(3600),
        Just(7200),
        Just(DAY),
        Just(2 * DAY),
        Just(7 * DAY)
    ];
    let agg = prop_oneof![Just("avg"), Just("min"), Just("max"), Just("first"), Just("last"), Just("count")];
    let bound = proptest::option::of(-DAY..11 * DAY);
    let query =
        (step, agg, any::<bool>(), bound.clone(), bound, 1..20u64).prop_map(|(step, agg, tz, from, to, limit)| Query {
            step,
            agg,
            tz: tz && step % DAY == 0,
            range: (from, to),
            limit,
        });
    proptest::collection::vec(query, 6)
}

/// Every item of a listing, following cursors.
async fn all_items(app: &TestApp, path: &str) -> Vec<Value> {
    let (mut items, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}&cursor={c}"),
            None => path.to_string(),
        };
        let page = expect(app.get(&url).await, StatusCode::OK).await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

/// The start (µs) of the reference bucket holding `at`: UTC multiples of
/// the step from the epoch (weeks from Monday 1970-01-05), or local days
/// in Shanghai.
fn bucket_of(at: i64, step: i64, tz: bool) -> i64 {
    let origin = if step % (7 * DAY) == 0 { 4 * DAY } else { 0 };
    if !tz {
        let (at_s, width) = (at, step * 1_000_000);
        let origin = origin * 1_000_000;
        return (at_s - origin).div_euclid(width) * width + origin;
    }
    let shanghai = chrono_tz::Asia::Shanghai;
    let local = DateTime::from_timestamp_micros(at).unwrap().with_timezone(&shanghai).date_naive();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let day = i64::from(local.num_days_from_ce() - epoch.num_days_from_ce());
    let days = step / DAY;
    let origin = origin / DAY;
    let start = (day - origin).div_euclid(days) * days + origin;
    let date = epoch + chrono::Duration::days(start);
    shanghai.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).unwrap().timestamp_micros()
}

/// Buckets by brute force over (time µs, value) in listing order.
fn reference(points: &[(i64, f64)], q: &Query) -> Vec<(i64, f64, i64)> {
    let from = q.range.0.map(|s| (T0 + s) * 1_000_000);
    let to = q.range.1.map(|s| (T0 + s) * 1_000_000);
    let mut buckets: BTreeMap<i64, Vec<(i64, f64)>> = BTreeMap::new();
    for &(at, v) in points {
        if from.is_some_and(|f| at < f) || to.is_some_and(|t| at >= t) {
            continue;
        }
        buckets.entry(bucket_of(at, q.step, q.tz)).or_default().push((at, v));
    }
    buckets
        .into_iter()
        .map(|(start, pts)| {
            let values = pts.iter().map(|(_, v)| *v);
            let first = pts.iter().fold(pts[0], |f, p| if p.0 < f.0 { *p } else { f });
            let last = pts.iter().fold(pts[0], |l, p| if p.0 >= l.0 { *p } else { l });
            let value = match q.agg {
                "avg" => values.sum::<f64>() / pts.len() as f64,
                "min" => values.fold(f64::INFINITY, f64::min),
                "max" => values.fold(f64::NEG_INFINITY, f64::max),
                "first" => first.1,
                "last" => last.1,
                _ => pts.len() as f64,
            };
            (start, value, pts.len() as i64)
        })
        .collect()
}

fn chart_path(base: &str, q: &Query) -> String {
    let mut path = format!("{base}?step={}&agg={}&limit={}", q.step, q.agg, q.limit);
    if q.tz {
        path.push_str("&tz=Asia/Shanghai");
    }
    if let Some(from) = q.range.0 {
        path.push_str(&format!("&from={}", ts(T0 + from)));
    }
    if let Some(to) = q.range.1 {
        path.push_str(&format!("&to={}", ts(T0 + to)));
    }
    path
}

/// One server per backend for every generated case, whose rollups are
/// built only when a case says so (its upkeep never comes round), a few
/// points at a time.
fn builder_apps(backend: Backend) -> &'static TestApp {
    static APPS: OnceLock<[TestApp; 2]> = OnceLock::new();
    per_backend(&APPS, backend, |backend| async move {
        let (url, dir) = fresh_database(backend).await;
        let mut settings = test_settings(&url);
        settings.database.upkeep_tick_ms = 24 * 3_600_000;
        settings.database.rollup_batch = 3;
        spawn_with(settings, dir).await
    })
}

async fn push_all(app: &TestApp, code: &str, generated: &[(i64, Option<u8>, Option<u8>)]) {
    // In generated order: later pushes often land before earlier ones.
    for (t, a, b) in generated {
        let values: serde_json::Map<String, Value> =
            [("a", a), ("b", b)].into_iter().filter_map(|(k, v)| Some((k.to_string(), json!(v.as_ref()?)))).collect();
        app.push(json!({"project": code, "ts": ts(T0 + t), "values": values})).await;
    }
    settled(app, code).await;
}

/// With b's values stale after `b_max_age` seconds: pushes half of
/// `generated`, builds `stretches.0` stretches of rollups, pushes the rest
/// (before and after where the rollups got to), builds `stretches.1` more,
/// and compares every query with the reference.
fn rollups_answer_as_raw_points_do(
    backend: Backend,
    b_max_age: Option<i64>,
    generated: Generated,
    stretches: (usize, usize),
    queries: Vec<Query>,
) -> Result<(), TestCaseError> {
    static CASE: AtomicUsize = AtomicUsize::new(0);
    let code = format!("r{}", CASE.fetch_add(1, Ordering::Relaxed));
    let app = builder_apps(backend);
    runtime().block_on(async {
        let mut b = json!({"key": "b", "weight": 40});
        if let Some(age) = b_max_age {
            b["max_age_secs"] = json!(age);
        }
        let project = json!({"code": code, "indicators": [{"key": "a", "weight": 60}, b]});
        app.create_project(project).await;
        let (first, rest) = generated.split_at(generated.len() / 2);
        push_all(app, &code, first).await;
        app.roll_up(&code, stretches.0).await;
        push_all(app, &code, rest).await;
        app.roll_up(&code, stretches.1).await;
        let index: Vec<(i64, f64)> = all_items(app, &format!("/v1/projects/{code}/index/history?limit=1000"))
            .await
            .iter()
            .map(|p| (micros(p["at"].as_str().unwrap()), p["value"].as_f64().unwrap()))
            .collect();
        let values: Vec<(i64, f64)> = all_items(app, &format!("/v1/projects/{code}/indicators/a/history?limit=1000"))
            .await
            .iter()
            .map(|p| (micros(p["observed_at"].as_str().unwrap()), p["value"].as_f64().unwrap()))
            .collect();
        for q in &queries {
            for (base, raw) in [("index", &index), ("indicators/a", &values)] {
                let path = chart_path(&format!("/v1/projects/{code}/{base}/history"), q);
                let got: Vec<(i64, f64, i64)> = all_items(app, &path)
                    .await
                    .iter()
                    .map(|b| {
                        (
                            micros(b["start"].as_str().unwrap()),
                            b["value"].as_f64().unwrap(),
                            b["count"].as_i64().unwrap(),
                        )
                    })
                    .collect();
                let expected = reference(raw, q);
                prop_assert_eq!(got.len(), expected.len(), "{}: {:?} vs {:?}", path, got, expected);
                for (g, e) in got.iter().zip(&expected) {
                    let close = (g.1 - e.1).abs() <= 1e-9 * e.1.abs().max(1.0);
                    prop_assert!(g.0 == e.0 && g.2 == e.2 && close, "{}: {:?} != {:?}", path, g, e);
                }
            }
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn rollups_answer_as_raw_points_do_on_sqlite(generated in pushes(), stretches in (0..8usize, 0..3usize), queries in queries()) {
        rollups_answer_as_raw_points_do(Backend::Sqlite, Some(3600), generated, stretches, queries)?;
    }

    #[test]
    fn rollups_answer_as_raw_points_do_on_postgres(generated in pushes(), stretches in (0..8usize, 0..3usize), queries in queries()) {
        rollups_answer_as_raw_points_do(Backend::Postgres, Some(3600), generated, stretches, queries)?;
    }
}

/// Found by the property test: the second push lands on the instant the
/// first one's value went stale, replacing the point written for it, in
/// the minute the writer was summing.
fn a_point_replaced_where_the_writer_sums(backend: Backend) {
    let generated = vec![(89_999, None, Some(0)), (93_599, None, Some(0))];
    let queries =
        ["avg", "min", "last", "count"].map(|agg| Query { step: 3600, agg, tz: false, range: (None, None), limit: 5 });
    rollups_answer_as_raw_points_do(backend, Some(3600), generated, (0, 0), queries.to_vec()).unwrap();
}

#[test]
fn a_point_replaced_where_the_writer_sums_on_sqlite() {
    a_point_replaced_where_the_writer_sums(Backend::Sqlite);
}

#[test]
fn a_point_replaced_where_the_writer_sums_on_postgres() {
    a_point_replaced_where_the_writer_sums(Backend::Postgres);
}

/// Pushes stored a little out of their event order, as concurrent
/// producers' are: each late one replaces the newest points, which the
/// writer has summed, across minute boundaries too.
fn pushes_slightly_out_of_order(backend: Backend) {
    let jitter = [0, 4, -2, 1, -5, 2, -1, 3];
    // The late ones carry b only: the points after them, of a only, change.
    let generated: Generated = (0..90u8)
        .map(|i| {
            let late = jitter[usize::from(i) % 8] < 0;
            (100 + 3 * i64::from(i) + jitter[usize::from(i) % 8], (!late).then_some(i), late.then_some(i / 2))
        })
        .collect();
    let query = |step, agg| Query { step, agg, tz: false, range: (None, None), limit: 20 };
    let queries = ["avg", "min", "max", "first", "last", "count"].map(|agg| query(60, agg)).to_vec();
    rollups_answer_as_raw_points_do(
        backend,
        None,
        generated,
        (0, 0),
        [queries, vec![query(30, "count"), query(3600, "last")]].concat(),
    )
    .unwrap();
}

#[test]
fn pushes_slightly_out_of_order_on_sqlite() {
    pushes_slightly_out_of_order(Backend::Sqlite);
}

#[test]
fn pushes_slightly_out_of_order_on_postgres() {
    pushes_slightly_out_of_order(Backend::Postgres);
}

/// Buckets far apart: a chart reads a tier some thousands of buckets at a
/// time, from the first one there is on, across the empty stretches.
fn buckets_far_apart(backend: Backend) {
    let times = [0, 240_000, 540_000, 540_030, 1_200_000, 20_000_000, 20_003_600];
    let generated: Generated = times.into_iter().zip(0u8..).map(|(t, v)| (t, Some(v), None)).collect();
    let query = |step, agg, range, limit| Query { step, agg, tz: false, range, limit };
    let queries = vec![
        query(60, "avg", (None, None), 20),
        query(60, "last", (Some(1), Some(1_200_000)), 2),
        query(3600, "max", (None, None), 20),
        query(3600, "count", (Some(540_000), None), 1),
        query(86_400, "first", (None, None), 3),
    ];
    rollups_answer_as_raw_points_do(backend, None, generated, (50, 0), queries).unwrap();
}

#[test]
fn buckets_far_apart_on_sqlite() {
    buckets_far_apart(Backend::Sqlite);
}

#[test]
fn buckets_far_apart_on_postgres() {
    buckets_far_apart(Backend::Postgres);
}

async fn chart_options_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    let cases = [
        ("step=1h&tz=Mars/Olympus", "tz"),
        ("step=1h&tz=Asia/Shanghai", "tz"),
        ("tz=UTC", "tz"),
        ("step=1d&agg=median", "agg"),
        ("step=1fortnight", "step"),
        ("format=csv", "format"),
    ];

    for base in ["index", "indicators/a"] {
        for (query, field) in cases {
            let problem = expect_problem(
                app.get(&format!("/v1/projects/h/{base}/history?{query}")).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_eq!(error_fields(&problem), [field], "{base} {query}");
        }
    }
    expect_problem(app.get("/v1/projects/h/indicators/zz/history?step=1h").await, StatusCode::NOT_FOUND).await;
}

async fn columns_are_what_a_chart_library_takes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    for (t, v) in [(0, 2.0), (30, 4.0), (DAY + 5, 9.0)] {
        app.push(json!({"project": "h", "ts": ts(T0 + t), "values": {"a": v}})).await;
    }

    let days = expect(app.get("/v1/projects/h/index/history?step=1d&format=columns").await, StatusCode::OK).await;
    let points = expect(app.get("/v1/projects/h/indicators/a/history?format=columns").await, StatusCode::OK).await;
    let week = expect(app.get("/v1/projects/h/index/history?step=1w&agg=max").await, StatusCode::OK).await;

    assert_eq!(days["t"], json!([T0 as f64, (T0 + DAY) as f64]));
    assert_eq!(days["v"], json!([3.0, 9.0]));
    assert_eq!(points["v"], json!([2.0, 4.0, 9.0]));
    assert_eq!(week["items"], json!([{"start": ts(T0), "value": 9.0, "count": 3}]));
}

async fn history_stored_before_rollups_gets_them_built(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let app = spawn_with(test_settings(&url), dir).await;
    let db = Database::connect(&url).await.unwrap();
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    for (t, v) in [(0, 2.0), (90, 4.0), (DAY + 5, 9.0), (3 * DAY, 1.0)] {
        app.push(json!({"project": "h", "ts": ts(T0 + t), "values": {"a": v}})).await;
    }
    app.roll_up("h", usize::MAX).await;
    let charts = ["/v1/projects/h/index/history?step=1h", "/v1/projects/h/indicators/a/history?step=1d&agg=max"];
    let mut built = Vec::new();
    for path in charts {
        built.push(all_items(&app, path).await);
    }

    // As a store from before rollups, started afresh: none built yet.
    db.execute_unprepared("DELETE FROM rollups").await.unwrap();
    db.execute_unprepared("DELETE FROM rollup_progress").await.unwrap();
    let restarted = spawn_with(test_settings(&url), None).await;
    let meanwhile = all_items(&restarted, charts[0]).await;
    let built_to = || async {
        let row = db.query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT built_to FROM rollup_progress",
        ));
        row.await.unwrap().map(|r| r.try_get_by_index::<i64>(0).unwrap())
    };
    let caught_up = async {
        for _ in 0..200 {
            // Up to the minute of the newest point, which stays raw.
            if built_to().await == Some((T0 + 3 * DAY) * 1_000_000) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        false
    };

    assert_eq!(meanwhile, built[0], "from the raw points until the rollups are built");
    assert!(caught_up.await, "the upkeep did not build the rollups within 10 s");
    for (path, expected) in charts.iter().zip(&built) {
        assert_eq!(&all_items(&restarted, path).await, expected, "{path}");
    }
}
