//! Upgrading keeps what an earlier version stored.

use migration::{Migrator, MigratorTrait};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::helpers::{Backend, close, expect, fresh_database, spawn_with, test_settings};
use crate::timeline::{history, settled};

fn values(page: &Value) -> Vec<f64> {
    page["items"].as_array().unwrap().iter().map(|o| o["value"].as_f64().unwrap()).collect()
}
use crate::on_both_backends;

on_both_backends!(
    observations_stored_one_per_value_survive_the_upgrade,
    rolling_back_and_upgrading_again_keeps_every_value,
    rollups_keep_every_bucket_through_their_rebuild,
);

async fn observations_stored_one_per_value_survive_the_upgrade(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let settings = test_settings(&url);
    let db = koi::store::connect(&settings.database).await.expect("connects");
    // The schema before observations were stored one row per push.
    Migrator::up(&db, Some(7)).await.expect("migrates to version 7");
    for sql in [
        "INSERT INTO projects (code, title, description, revision, ingest_seq, created_at, updated_at) \
         VALUES ('p', '', '', 1, 2, 0, 0)",
        "INSERT INTO indicators (project_id, ordinal, key, title, unit, weight, intervals) \
         VALUES (1, 0, 'a', '', '', 50, '[]'), (1, 1, 'b', '', '', 50, '[]')",
        "INSERT INTO observations (project_id, indicator_key, value, observed_at, received_at, source) \
         VALUES (1, 'a', 1.5, 1000000, 2000000, 'push'), (1, 'b', 0.30000000000000004, 1000000, 2000000, 'push'), \
         (1, 'a', 3.5, 3000000, 4000000, 'pull:7')",
        "INSERT INTO latest_values (project_id, indicator_key, value, observed_at) \
         VALUES (1, 'a', 3.5, 3000000), (1, 'b', 0.30000000000000004, 1000000)",
    ] {
        db.execute_unprepared(sql).await.expect("stores as version 7 did");
    }
    db.close().await.ok();

    let app = spawn_with(settings, dir).await;
    let a = expect(app.get("/v1/projects/p/indicators/a/history").await, StatusCode::OK).await;
    let b = expect(app.get("/v1/projects/p/indicators/b/history").await, StatusCode::OK).await;

    let fields = |page: &Value, field: &str| -> Vec<Value> {
        page["items"].as_array().unwrap().iter().map(|o| o[field].clone()).collect()
    };
    assert_eq!(fields(&a, "value"), [1.5, 3.5]);
    assert_eq!(fields(&a, "source"), ["push", "pull:7"]);
    assert_eq!(fields(&a, "observed_at"), ["1970-01-01T00:00:01Z", "1970-01-01T00:00:03Z"]);
    assert_eq!(fields(&b, "value"), [0.30000000000000004]);
    // The upgrade queued a job rebuilding the history by event time.
    settled(&app, "p").await;
    let rebuilt = history(&app, "p").await;
    let times: Vec<&str> = rebuilt.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(times, ["1970-01-01T00:00:01Z", "1970-01-01T00:00:03Z"]);
    assert!(close(rebuilt[0].1, 0.9) && close(rebuilt[1].1, 1.9), "{rebuilt:?}");
    // Pushing on top of the upgraded store still scores both indicators.
    let result = app.push(serde_json::json!({"project": "p", "values": {"a": 10}})).await;
    assert_eq!(result["value"], 10.0 * 0.5 + 0.30000000000000004 * 0.5);
}

/// The migrations after version 7 changed how observations and history
/// points are stored; undoing them and applying them again loses nothing.
async fn rolling_back_and_upgrading_again_keeps_every_value(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let before = spawn_with(test_settings(&url), dir).await;
    before
        .create_project(
            serde_json::json!({"code": "p", "indicators": [{"key": "a", "weight": 50}, {"key": "b", "weight": 50}]}),
        )
        .await;
    before.push(serde_json::json!({"project": "p", "values": {"a": 1.5, "b": 0.30000000000000004}})).await;
    before.push(serde_json::json!({"project": "p", "values": {"a": 2.5}})).await;
    let index = expect(before.get("/v1/projects/p/index/history").await, StatusCode::OK).await;

    let db = koi::store::connect(&test_settings(&url).database).await.expect("connects");
    let since_7 = Migrator::migrations().len() as u32 - 7;
    Migrator::down(&db, Some(since_7)).await.expect("rolls back to version 7");
    let stored = db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT count(*), max(CASE WHEN indicator_key = 'b' THEN value END) FROM observations",
    ));
    let row = stored.await.expect("reads").expect("a row");
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 3);
    assert_eq!(row.try_get_by_index::<f64>(1).unwrap(), 0.30000000000000004);
    Migrator::up(&db, None).await.expect("upgrades again");
    db.close().await.ok();

    let after = spawn_with(test_settings(&url), None).await;
    let a = expect(after.get("/v1/projects/p/indicators/a/history").await, StatusCode::OK).await;
    let b = expect(after.get("/v1/projects/p/indicators/b/history").await, StatusCode::OK).await;
    let again = expect(after.get("/v1/projects/p/index/history").await, StatusCode::OK).await;
    assert_eq!(values(&a), [1.5, 2.5]);
    assert_eq!(values(&b), [0.30000000000000004]);
    assert_eq!(values(&again), values(&index));
}

/// The last two migrations give PostgreSQL's rollups a new primary key
/// and SQLite's an index of hours and days; undoing them and applying them
/// again keeps every bucket, and charts answer as before.
async fn rollups_keep_every_bucket_through_their_rebuild(backend: Backend) {
    let (url, dir) = fresh_database(backend).await;
    let before = spawn_with(test_settings(&url), dir).await;
    before.create_project(serde_json::json!({"code": "p", "indicators": [{"key": "a", "weight": 100}]})).await;
    for (at, v) in [("2025-12-29T00:00:00Z", 2.0), ("2025-12-29T00:01:30Z", 4.0), ("2025-12-30T00:00:05Z", 9.0)] {
        before.push(serde_json::json!({"project": "p", "ts": at, "values": {"a": v}})).await;
    }
    before.push(serde_json::json!({"project": "p", "ts": "2026-01-01T00:00:00Z", "values": {"a": 1.0}})).await;
    before.roll_up("p", usize::MAX).await;
    let chart = "/v1/projects/p/indicators/a/history?step=1h&agg=max";
    let hours = expect(before.get(chart).await, StatusCode::OK).await;

    let db = koi::store::connect(&test_settings(&url).database).await.expect("connects");
    let buckets = || async {
        let sql = "SELECT count(*), CAST(sum(n) AS BIGINT), sum(total), max(last_value) FROM rollups";
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql));
        let row = row.await.expect("reads").expect("a row");
        let counts: (i64, i64) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
        (counts, row.try_get_by_index::<f64>(2).unwrap(), row.try_get_by_index::<f64>(3).unwrap())
    };
    let built = buckets().await;
    Migrator::down(&db, Some(2)).await.expect("rolls the last two migrations back");
    let undone = buckets().await;
    Migrator::up(&db, None).await.expect("applies it again");
    let redone = buckets().await;
    db.close().await.ok();
    let after = spawn_with(test_settings(&url), None).await;

    // Three points of the index and of a, in three minutes, two hours and
    // two days each.
    assert_eq!(built.0, (14, 18));
    assert_eq!((undone, redone), (built, built));
    assert_eq!(expect(after.get(chart).await, StatusCode::OK).await, hours);
    assert_eq!(values(&hours), [4.0, 9.0, 1.0]);
}
