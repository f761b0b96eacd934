//! Retention: the sweep deletes exactly the history past its period, the
//! points kept do not change, and a sweep cut off midway loses nothing.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use koi::config::Settings;
use koi::domain::Retention;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::helpers::{
    Backend, TestApp, error_fields, expect, expect_problem, fresh_database, spawn_with, test_settings,
};
use crate::on_both_backends;

on_both_backends!(
    retention_deletes_exactly_what_is_past_its_period,
    a_sweep_cut_off_midway_loses_nothing_it_should_keep,
    history_not_rolled_up_yet_is_kept_whatever_its_age,
    a_sweep_with_nothing_to_delete_never_waits_for_a_writer,
    retention_overrides_are_validated_and_shown,
);

const DAY: i64 = 86_400;
/// Days before now of the pushed values: some past a 30-day period.
const AGES: [i64; 8] = [45, 40, 33, 31, 29, 12, 3, 1];

fn ts(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).unwrap().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A server on a fresh database, a connection to that database, and a
/// project `p` with a value `AGES` days ago each (at 12:00 UTC, and its
/// stale point an hour later), keeping raw history 30 days and
/// 1-minute buckets 7 days; and its database's URL.
async fn seeded(backend: Backend) -> (TestApp, DatabaseConnection, i64, String) {
    let (url, dir) = fresh_database(backend).await;
    let app = spawn_with(no_upkeep(&url), dir).await;
    let db = Database::connect(&url).await.unwrap();
    app.create_project(json!({"code": "p", "indicators": [{"key": "a", "weight": 100, "max_age_secs": 3600}]})).await;
    let today = Utc::now().timestamp() / DAY * DAY;
    for (n, age) in AGES.iter().enumerate() {
        app.push(json!({"project": "p", "ts": ts(today - age * DAY + 12 * 3600), "values": {"a": n}})).await;
    }
    let retention = json!({"raw": "30d", "minute": "7d"});
    expect(app.put("/v1/projects/p/retention", &retention).await, StatusCode::OK).await;
    (app, db, today, url)
}

/// Settings under which history is rolled up when a test says so (or as
/// pushes append it), not by the upkeep.
fn no_upkeep(url: &str) -> Settings {
    let mut settings = test_settings(url);
    settings.database.upkeep_tick_ms = 24 * 3_600_000;
    settings
}

async fn listing(app: &TestApp, path: &str) -> Vec<Value> {
    expect(app.get(path).await, StatusCode::OK).await["items"].as_array().unwrap().clone()
}

async fn sweep(db: &DatabaseConnection, batch: u64, now: i64) {
    let (_stop, stopped) = watch::channel(false);
    koi::retention::sweep(db, Retention::default(), batch, now, &stopped).await.unwrap();
}

async fn retention_deletes_exactly_what_is_past_its_period(backend: Backend) {
    let (app, db, today, _) = seeded(backend).await;
    app.roll_up("p", usize::MAX).await;
    let points = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    let days = listing(&app, "/v1/projects/p/index/history?step=1d&limit=1000").await;
    let hours = listing(&app, "/v1/projects/p/index/history?step=1h&limit=1000").await;
    let cutoff = today - 30 * DAY;

    sweep(&db, 2, Utc::now().timestamp_micros()).await;

    let kept = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    let at = |p: &Value| DateTime::parse_from_rfc3339(p["at"].as_str().unwrap()).unwrap().timestamp();
    // Points from the cutoff on, and the newest one before it (whose values
    // they depend on): the stale point of the value 31 days ago.
    let newest_before = points.iter().filter(|p| at(p) < cutoff).map(at).max().unwrap();
    let expected: Vec<&Value> = points.iter().filter(|p| at(p) >= cutoff || at(p) == newest_before).collect();
    assert_eq!(kept.iter().collect::<Vec<_>>(), expected);
    let values = listing(&app, "/v1/projects/p/indicators/a/history?limit=1000").await;
    assert_eq!(values.len(), AGES.iter().filter(|age| **age <= 30).count());
    // Rollups outlive the raw points: days and hours as before.
    assert_eq!(listing(&app, "/v1/projects/p/index/history?step=1d&limit=1000").await, days);
    assert_eq!(listing(&app, "/v1/projects/p/index/history?step=1h&limit=1000").await, hours);
    // Minute buckets: only those of the last 7 days.
    let minutes = listing(&app, "/v1/projects/p/index/history?step=1m&limit=1000").await;
    let week_ago = Utc::now().timestamp() - 7 * DAY;
    assert_eq!(minutes.len(), points.iter().filter(|p| at(p) >= week_ago).count(), "{minutes:?}");
    // A later push still scores as before; one from before the cutoff is
    // refused, as the points it would change cannot be recomputed.
    let pushed = app.push(json!({"project": "p", "values": {"a": 50}})).await;
    assert_eq!(pushed["value"], 50.0);
    let old = json!({"project": "p", "ts": ts(cutoff - DAY), "values": {"a": 1}});
    let refused = expect_problem(app.post("/v1/data", &old).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&refused), ["ts"]);
}

async fn a_sweep_cut_off_midway_loses_nothing_it_should_keep(backend: Backend) {
    let (app, db, today, _) = seeded(backend).await;
    app.roll_up("p", usize::MAX).await;
    let cutoff = today - 30 * DAY;
    let before = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    let at = |p: &Value| DateTime::parse_from_rfc3339(p["at"].as_str().unwrap()).unwrap().timestamp();
    let must_keep: Vec<Value> = before.iter().filter(|p| at(p) >= cutoff).cloned().collect();
    let days = listing(&app, "/v1/projects/p/index/history?step=1d&limit=1000").await;

    // Sweeps of one row per batch, each killed after a moment.
    for wait in [0, 1, 2, 3, 5, 8] {
        let (db, now) = (db.clone(), Utc::now().timestamp_micros());
        let task = tokio::spawn(async move { sweep(&db, 1, now).await });
        tokio::time::sleep(Duration::from_millis(wait)).await;
        task.abort();
        task.await.ok();
        let kept = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
        assert!(must_keep.iter().all(|p| kept.contains(p)), "lost some of {must_keep:?}: {kept:?}");
        assert_eq!(listing(&app, "/v1/projects/p/index/history?step=1d&limit=1000").await, days);
    }
    sweep(&db, 1, Utc::now().timestamp_micros()).await;

    let kept = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    let newest_before = before.iter().filter(|p| at(p) < cutoff).map(at).max().unwrap();
    let expected: Vec<&Value> = before.iter().filter(|p| at(p) >= cutoff || at(p) == newest_before).collect();
    assert_eq!(kept.iter().collect::<Vec<_>>(), expected);
}

async fn history_not_rolled_up_yet_is_kept_whatever_its_age(backend: Backend) {
    let (app, db, _, url) = seeded(backend).await;
    let points = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    // As a store from before rollups: none built yet.
    db.execute_unprepared("DELETE FROM rollups").await.unwrap();
    db.execute_unprepared("DELETE FROM rollup_progress").await.unwrap();

    sweep(&db, 100, Utc::now().timestamp_micros()).await;
    let unswept = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    // Opened again, it rolls that history up.
    let reopened = spawn_with(no_upkeep(&url), None).await;
    reopened.roll_up("p", usize::MAX).await;
    sweep(&db, 100, Utc::now().timestamp_micros()).await;

    assert_eq!(unswept, points);
    assert!(listing(&app, "/v1/projects/p/index/history?limit=1000").await.len() < points.len());
}

/// The sweep looks at every project each `sweep_ms`; one with nothing to
/// delete must not take its lock (a write), or a sweep over many projects
/// queues behind ingest, and ingest behind it, every time.
async fn a_sweep_with_nothing_to_delete_never_waits_for_a_writer(backend: Backend) {
    let (app, db, _, url) = seeded(backend).await;
    app.roll_up("p", usize::MAX).await;
    sweep(&db, 100, Utc::now().timestamp_micros()).await;
    let swept = listing(&app, "/v1/projects/p/index/history?limit=1000").await;
    // And one never swept, with nothing old enough to go.
    app.create_project(json!({"code": "q", "indicators": [{"key": "a", "weight": 100}]})).await;
    app.push(json!({"project": "q", "ts": ts(Utc::now().timestamp() - 2 * DAY), "values": {"a": 1}})).await;
    app.roll_up("q", usize::MAX).await;
    expect(app.put("/v1/projects/q/retention", &json!({"raw": "30d"})).await, StatusCode::OK).await;

    // A writer holding the projects' rows (PostgreSQL) or the database's
    // write lock (SQLite) until it is done.
    let other = Database::connect(&url).await.unwrap();
    let writer = other.begin().await.unwrap();
    writer.execute_unprepared("UPDATE projects SET ingest_seq = ingest_seq WHERE code IN ('p', 'q')").await.unwrap();
    let again = tokio::time::timeout(Duration::from_secs(3), sweep(&db, 100, Utc::now().timestamp_micros())).await;
    writer.rollback().await.unwrap();

    assert!(again.is_ok(), "a sweep with nothing to delete waited for the writer");
    assert_eq!(listing(&app, "/v1/projects/p/index/history?limit=1000").await, swept);
}

async fn retention_overrides_are_validated_and_shown(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let app = spawn_with(test_settings(&url), dir).await;
    app.create_project(json!({"code": "p", "indicators": [{"key": "a", "weight": 100}]})).await;

    let bad = expect_problem(
        app.put("/v1/projects/p/retention", &json!({"hour": "soon"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let set =
        expect(app.put("/v1/projects/p/retention", &json!({"raw": "168h", "day": "0"})).await, StatusCode::OK).await;
    let read = expect(app.get("/v1/projects/p/retention").await, StatusCode::OK).await;

    assert_eq!(error_fields(&bad), ["hour"]);
    assert_eq!(set["overrides"], json!({"raw": "1w", "minute": null, "hour": null, "day": "0"}));
    assert_eq!(read["effective"], json!({"raw": "1w", "minute": "0", "hour": "0", "day": "0"}));
    expect_problem(app.get("/v1/projects/none/retention").await, StatusCode::NOT_FOUND).await;
}
