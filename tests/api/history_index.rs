//! SQLite's per-project history indexes, kept up in bulk by the writer:
//! whatever part of the history is indexed yet, every read answers the
//! same; the index ends up holding exactly the stored rows, through late
//! values, deletions and a crash.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, expect, free_port, fresh_database, spawn_with, start_koi, test_settings, wait_until_up,
};

/// Milliseconds: a pass every commit, and never.
const AT_ONCE: u64 = 0;
const NEVER: u64 = u64::MAX;

async fn sqlite_app(index_ms: u64) -> (TestApp, DatabaseConnection) {
    let (url, dir) = fresh_database(Backend::Sqlite).await;
    let mut settings = test_settings(&url);
    settings.database.history_index_ms = index_ms;
    let app = spawn_with(settings, dir).await;
    (app, Database::connect(&url).await.expect("connect"))
}

/// Three projects, values in order and late ones (a late value deletes
/// and rewrites the points after it), one of them going stale.
async fn store_history(app: &TestApp) {
    for code in ["h0", "h1", "h2"] {
        let project = json!({"code": code, "indicators": [
            {"key": "a", "weight": 60}, {"key": "b", "weight": 40, "max_age_secs": 30}
        ]});
        expect(app.post("/v1/projects", &project).await, StatusCode::CREATED).await;
    }
    for minute in [0, 1, 2, 5, 6, 9, 3, 4, 7] {
        for (n, code) in ["h0", "h1", "h2"].iter().enumerate() {
            let values = json!({"a": minute * 10 + n, "b": 100 - minute});
            let ts = format!("2026-01-01T00:{minute:02}:00Z");
            app.push(json!({"project": code, "ts": ts, "values": values})).await;
        }
    }
    expect(app.delete("/v1/projects/h2").await, StatusCode::NO_CONTENT).await;
}

/// What the API answers about the history, computation times left out.
async fn reads(app: &TestApp) -> Vec<Value> {
    let mut answers = Vec::new();
    for path in [
        "/v1/projects/h0/index/history?limit=1000",
        "/v1/projects/h0/index/history?limit=4&order=desc",
        "/v1/projects/h0/index/history?limit=5",
        "/v1/projects/h1/index/history?from=2026-01-01T00:03:00Z&to=2026-01-01T00:07:00Z",
        "/v1/projects/h0/indicators/b/history?limit=1000",
        "/v1/projects/h1/indicators/a/history?order=desc&limit=3",
        "/v1/projects/h0/index",
        "/v1/projects/h1/index",
    ] {
        let mut answer = expect(app.get(path).await, StatusCode::OK).await;
        strip(&mut answer, "computed_at");
        strip(&mut answer, "received_at");
        answers.push(answer);
    }
    answers
}

fn strip(value: &mut Value, key: &str) {
    match value {
        Value::Object(map) => {
            map.remove(key);
            map.values_mut().for_each(|v| strip(v, key));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| strip(v, key)),
        _ => {}
    }
}

/// (rows stored, entries in the index, entries that match no stored row)
/// of the points and of the readings.
async fn index_counts(db: &DatabaseConnection) -> Vec<i64> {
    let mut counts = Vec::new();
    for (data, index, time) in [
        ("results_data", "results_indexed", "at"),
        ("observation_sets_data", "observation_sets_indexed", "observed_at"),
    ] {
        let sql = format!(
            "SELECT (SELECT count(*) FROM {data}), (SELECT count(*) FROM {index}), \
             (SELECT count(*) FROM {index} i WHERE NOT EXISTS (SELECT 1 FROM {data} d \
               WHERE d.id = i.id AND d.project_id = i.project_id AND d.{time} = i.{time}))"
        );
        let row = db.query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await;
        let row = row.expect("query").expect("a row");
        counts.extend((0..3).map(|n| row.try_get_by_index::<i64>(n).expect("a count")));
    }
    counts
}

#[tokio::test]
async fn every_read_answers_the_same_whatever_is_indexed() {
    let (indexed, indexed_db) = sqlite_app(AT_ONCE).await;
    let (tail, tail_db) = sqlite_app(NEVER).await;
    store_history(&indexed).await;
    store_history(&tail).await;
    let expected = reads(&indexed).await;
    assert_eq!(expected[0]["items"].as_array().expect("points").len(), 18, "{:?}", expected[0]);
    assert_eq!(reads(&tail).await, expected);
    // The same rows stored; one server indexed them all, the other none.
    let (all, none) = (index_counts(&indexed_db).await, index_counts(&tail_db).await);
    assert_eq!((all[0], all[1], all[2]), (none[0], all[0], 0), "points: {all:?} {none:?}");
    assert_eq!((all[3], all[4], all[5]), (none[3], all[3], 0), "readings: {all:?} {none:?}");
    assert_eq!((none[1], none[4]), (0, 0));
    // Half of it indexed, as a round up to the middle id leaves it: late
    // values gave the newest ids to points in the middle of the history,
    // so pages take rows from both sides.
    for (data, index, columns, mark) in [
        ("results_data", "results_indexed", "project_id, at, id, point", "results"),
        ("observation_sets_data", "observation_sets_indexed", "project_id, observed_at, id", "observation_sets"),
    ] {
        let half = format!("(SELECT MAX(id) / 2 FROM {data})");
        for sql in [
            format!("INSERT INTO {index} ({columns}) SELECT {columns} FROM {data} WHERE id <= {half}"),
            format!("UPDATE history_marks SET upto = {half}, target = {half} WHERE name = '{mark}'"),
        ] {
            tail_db.execute_unprepared(&sql).await.expect("index half");
        }
    }
    let half = index_counts(&tail_db).await;
    assert!(half[1] > 0 && half[1] < half[0] && half[4] > 0 && half[4] < half[3], "{half:?}");
    assert_eq!(reads(&tail).await, expected);
}

#[tokio::test]
async fn the_index_catches_up_with_what_was_stored() {
    let (app, db) = sqlite_app(200).await;
    store_history(&app).await;
    let before = reads(&app).await;
    let caught_up = |c: &[i64]| c[0] == c[1] && c[3] == c[4] && c[2] == 0 && c[5] == 0;
    let mut counts = index_counts(&db).await;
    for _ in 0..50 {
        if caught_up(&counts) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        counts = index_counts(&db).await;
    }
    assert!(caught_up(&counts), "rows and index entries: {counts:?}");
    assert_eq!(reads(&app).await, before);
}

/// A crash leaves a tail behind; the restarted server indexes it without
/// waiting for a push, and reads answer the same all along.
#[tokio::test]
async fn a_tail_left_by_a_crash_is_indexed_after_restart() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    let port = free_port();
    let app = TestApp::at(&format!("http://127.0.0.1:{port}"));
    let never = NEVER.to_string();
    let mut server = start_koi(&url, port, &[("KOI__DATABASE__HISTORY_INDEX_MS", &never)], Stdio::inherit());
    wait_until_up(&app.client, &format!("{}/health", app.address)).await;
    store_history(&app).await;
    let before = reads(&app).await;
    server.kill().expect("kill -9");
    server.wait().expect("reaped");
    let db = Database::connect(&url).await.expect("connect");
    let left = index_counts(&db).await;
    assert_eq!((left[1], left[4]), (0, 0), "nothing indexed before the crash: {left:?}");

    let mut server = start_koi(&url, port, &[("KOI__DATABASE__HISTORY_INDEX_MS", "100")], Stdio::inherit());
    wait_until_up(&app.client, &format!("{}/health", app.address)).await;
    assert_eq!(reads(&app).await, before);
    let mut counts = index_counts(&db).await;
    for _ in 0..50 {
        if counts[1] == counts[0] && counts[4] == counts[3] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        counts = index_counts(&db).await;
    }
    assert_eq!((counts[1], counts[4], counts[2], counts[5]), (left[0], left[3], 0, 0), "{counts:?}");
    assert_eq!(reads(&app).await, before);
    server.kill().ok();
    server.wait().ok();
}
