//! Backfill imports, rescoring after a config change, and late values
//! recomputed in bounded chunks.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, error_fields, expect, expect_problem, fresh_database, spawn_app, spawn_with, test_settings,
};
use crate::on_both_backends;
use crate::timeline::{history, settled};

on_both_backends!(
    csv_and_ndjson_imports_land_at_their_times,
    a_bad_line_refuses_the_whole_import_unless_skipped,
    rescore_after_a_weight_change_matches_a_fresh_import,
    a_large_late_insert_is_recomputed_in_bounded_chunks,
    a_preview_shows_the_draft_beside_the_current_and_stores_nothing,
    the_import_command_streams_a_file_and_follows_the_job,
);

const CSV: &str = "ts,key,value\n2026-01-01T00:00:00Z,a,10\n2026-01-01T00:00:00Z,b,20\n2026-01-01T00:01:00Z,a,30\n2026-01-01T00:02:00Z,b,40\n";

async fn import(app: &TestApp, code: &str, content_type: &str, body: &str, query: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/v1/projects/{code}/import{query}", app.address))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("POST import")
}

fn plain(code: &str, a: f64, b: f64) -> Value {
    json!({"code": code, "indicators": [{"key": "a", "weight": a}, {"key": "b", "weight": b}]})
}

async fn csv_and_ndjson_imports_land_at_their_times(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain("c", 60.0, 40.0)).await;
    app.create_project(plain("n", 60.0, 40.0)).await;
    let ndjson = "{\"ts\":\"2026-01-01T00:00:00Z\",\"values\":{\"a\":10,\"b\":20}}\n\
                  {\"ts\":\"2026-01-01T00:01:00Z\",\"values\":{\"a\":30}}\n\
                  {\"project\":\"n\",\"ts\":\"2026-01-01T00:02:00Z\",\"values\":{\"b\":\"40\"}}";

    let csv = expect(import(&app, "c", "text/csv", CSV, "").await, StatusCode::OK).await;
    let nd = expect(import(&app, "n", "application/x-ndjson", ndjson, "").await, StatusCode::OK).await;
    settled(&app, "c").await;
    settled(&app, "n").await;

    assert_eq!((csv["observations"].as_u64(), csv["pushes"].as_u64()), (Some(4), Some(3)), "{csv}");
    assert_eq!(nd["observations"], 4, "{nd}");
    let expected = vec![
        ("2026-01-01T00:00:00Z".to_string(), 14.0),
        ("2026-01-01T00:01:00Z".to_string(), 26.0),
        ("2026-01-01T00:02:00Z".to_string(), 34.0),
    ];
    assert_eq!(history(&app, "c").await, expected);
    assert_eq!(history(&app, "n").await, expected);
    let job = expect(app.get(&format!("/v1/jobs/{}", csv["job"]["id"])).await, StatusCode::OK).await;
    assert_eq!((job["state"].as_str(), job["progress"].as_f64()), (Some("done"), Some(1.0)), "{job}");
}

async fn a_bad_line_refuses_the_whole_import_unless_skipped(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain("p", 60.0, 40.0)).await;
    let body = "2026-01-01T00:00:00Z,a,10\n2026-01-01T00:00:01Z,a,ten\n2026-01-01T00:00:02Z,zz,1\nnot a line\n2026-01-01T00:00:03Z,b,5\n";

    let refused = expect_problem(import(&app, "p", "text/csv", body, "").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let nothing = history(&app, "p").await;
    let skipped = expect(import(&app, "p", "text/csv", body, "?skip_invalid=true").await, StatusCode::OK).await;
    settled(&app, "p").await;

    assert_eq!(error_fields(&refused), ["body", "line 2.value", "line 3.zz", "line 4"], "{refused}");
    assert!(refused["detail"].as_str().unwrap().contains("skip_invalid=true"), "{refused}");
    assert!(nothing.is_empty());
    assert_eq!((skipped["skipped_lines"].as_u64(), skipped["observations"].as_u64()), (Some(3), Some(2)), "{skipped}");
    assert_eq!(history(&app, "p").await.len(), 2);
}

async fn rescore_after_a_weight_change_matches_a_fresh_import(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain("old", 60.0, 40.0)).await;
    expect(import(&app, "old", "text/csv", CSV, "").await, StatusCode::OK).await;
    settled(&app, "old").await;
    let before = history(&app, "old").await;

    let mut changed = plain("old", 30.0, 70.0);
    changed.as_object_mut().unwrap().remove("code");
    let project = expect(app.put("/v1/projects/old", &changed).await, StatusCode::OK).await;
    let job = expect(app.post("/v1/projects/old/rescore", &json!({})).await, StatusCode::ACCEPTED).await;
    settled(&app, "old").await;
    app.create_project(plain("fresh", 30.0, 70.0)).await;
    expect(import(&app, "fresh", "text/csv", CSV, "").await, StatusCode::OK).await;
    settled(&app, "fresh").await;

    assert_eq!(job["kind"], "rescore", "{job}");
    assert_ne!(before, history(&app, "old").await);
    assert_eq!(history(&app, "old").await, history(&app, "fresh").await);
    let page = expect(app.get("/v1/projects/old/index/history").await, StatusCode::OK).await;
    assert!(page["items"].as_array().unwrap().iter().all(|p| p["revision"] == project["revision"]), "{page}");
    let empty = expect_problem(
        app.post("/v1/projects/fresh/rescore", &json!({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&empty), ["to"]);
}

async fn a_large_late_insert_is_recomputed_in_bounded_chunks(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.database.recompute_batch = 10;
    settings.database.upkeep_tick_ms = 100;
    let app = spawn_with(settings, dir).await;
    app.create_project(plain("p", 50.0, 50.0)).await;
    let pushes: Vec<Value> = (1..=60)
        .map(|s| json!({"project": "p", "ts": format!("2026-01-01T00:01:{:02}Z", s - 1), "values": {"b": s}}))
        .collect();
    app.push(Value::Array(pushes)).await;

    let late = app.push(json!({"project": "p", "ts": "2026-01-01T00:00:00Z", "values": {"a": 100}})).await;
    let jobs = expect(app.get("/v1/projects/p/jobs").await, StatusCode::OK).await;
    // Another late value while that job is pending widens it.
    app.push(json!({"project": "p", "ts": "2026-01-01T00:00:30Z", "values": {"a": 0}})).await;
    settled(&app, "p").await;
    let second = history(&app, "p").await;
    let all = expect(app.get("/v1/projects/p/jobs").await, StatusCode::OK).await;

    assert_eq!(late["value"], 50.0);
    assert_eq!(jobs[0]["state"], "running", "ten points a transaction: {jobs}");
    assert_eq!(all.as_array().unwrap().len(), 1, "one job per project: {all}");
    assert_eq!(second.len(), 62);
    assert_eq!(second[0].1, 50.0);
    assert_eq!((second[1].0.as_str(), second[1].1), ("2026-01-01T00:00:30Z", 0.0));
    assert!(second.iter().skip(2).enumerate().all(|(i, p)| p.1 == (i + 1) as f64 * 0.5), "{second:?}");
}

async fn a_preview_shows_the_draft_beside_the_current_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let project = app.create_project(plain("p", 60.0, 40.0)).await;
    expect(import(&app, "p", "text/csv", CSV, "").await, StatusCode::OK).await;
    settled(&app, "p").await;
    let before = history(&app, "p").await;
    let mut draft = plain("p", 30.0, 70.0);
    draft.as_object_mut().unwrap().remove("code");
    let range = "from=2026-01-01T00:00:00Z&to=2026-01-01T00:02:30Z&step=1m";

    let preview = expect(app.post(&format!("/v1/projects/p/preview?{range}"), &draft).await, StatusCode::OK).await;
    let bad = plain("p", -1.0, 70.0);
    let refused = expect_problem(
        app.post(&format!("/v1/projects/p/preview?{range}"), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let too_many = "from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&step=1s";
    let step = expect_problem(
        app.post(&format!("/v1/projects/p/preview?{too_many}"), &draft).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let pairs: Vec<(f64, f64)> = preview["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["current"].as_f64().unwrap(), p["draft"].as_f64().unwrap()))
        .collect();
    assert_eq!(pairs, [(14.0, 17.0), (26.0, 23.0), (34.0, 37.0)], "{preview}");
    assert_eq!(preview["points"][2]["at"], "2026-01-01T00:02:00Z");
    assert!((preview["summary"]["mean_difference"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{preview}");
    assert_eq!(preview["summary"]["max_difference"], 3.0);
    assert_eq!(error_fields(&refused), ["indicators[0].weight"]);
    assert_eq!(error_fields(&step), ["step"]);
    assert_eq!(history(&app, "p").await, before, "a preview stores nothing");
    let now = expect(app.get("/v1/projects/p").await, StatusCode::OK).await;
    assert_eq!(now["revision"], project["revision"]);
}

async fn the_import_command_streams_a_file_and_follows_the_job(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain("p", 60.0, 40.0)).await;
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (dir.path().join("air.csv"), dir.path().join("bad.csv"));
    std::fs::write(&good, CSV).unwrap();
    std::fs::write(&bad, "2026-01-01T00:00:00Z,a,ten\n").unwrap();
    let run = |file: std::path::PathBuf, address: String| {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_koi"))
                .args(["import", "--project", "p", "--url", &address])
                .arg(file)
                .output()
                .expect("run koi import")
        })
    };

    let imported = run(good, app.address.clone()).await.unwrap();
    let refused = run(bad, app.address.clone()).await.unwrap();

    let (out, err) = (String::from_utf8_lossy(&imported.stdout), String::from_utf8_lossy(&imported.stderr));
    assert!(imported.status.success(), "{out}\n{err}");
    assert!(err.contains("100%"), "a progress bar: {err}");
    assert!(out.contains("stored 4 values in 3 pushes") && out.contains("history recomputed: 3 points"), "{out}");
    assert_eq!(history(&app, "p").await.len(), 3);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(err.contains("line 1.value") && err.contains("skip_invalid"), "{err}");
}
