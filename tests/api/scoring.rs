use chrono::{Duration, Utc};
use serde_json::json;

use crate::helpers::{Backend, close, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    worked_example_without_intervals_scores_38,
    worked_example_with_intervals_scores_25,
    interval_edges_and_gaps_score_as_designed,
    missing_and_stale_indicators_contribute_nothing,
);

async fn worked_example_without_intervals_scores_38(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("plain")).await;

    let result = app.push(json!({"project": "plain", "values": {"a": 30, "b": "50"}})).await;

    assert!(close(result["value"].as_f64().unwrap(), 38.0), "{result}");
    assert_eq!(result["coverage"], 1.0);
    let latest = app.get("/v1/projects/plain/index").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(latest["value"], result["value"]);
}

async fn worked_example_with_intervals_scores_25(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({
        "code": "banded",
        "indicators": [{"key": "v", "weight": 50, "intervals": [{"min": 0, "max": 50, "score": 10}, {"min": 50, "max": 100, "score": 100}]}]
    }))
    .await;

    let result = app.push(json!({"project": "banded", "values": {"v": 75}})).await;

    assert_eq!(result["value"], 25.0);
    let part = &result["breakdown"][0];
    assert_eq!(part["position"], 0.5);
    assert_eq!(part["interval"], json!({"start": 50.0, "end": 100.0, "score": 100.0}));
    assert_eq!(part["status"], "ok");
    assert_eq!(part["value"], 75.0);
}

async fn interval_edges_and_gaps_score_as_designed(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({
        "code": "edges",
        "indicators": [{"key": "x", "weight": 100, "intervals": [{"min": 0, "max": 10, "score": 10}, {"min": 20, "max": 30, "score": 100}]}]
    }))
    .await;
    let score_of = |v: f64| {
        let app = &app;
        async move { app.push(json!({"project": "edges", "values": {"x": v}})).await["breakdown"][0].clone() }
    };

    let at_min = score_of(20.0).await;
    let at_top_max = score_of(30.0).await;
    let at_lower_max = score_of(10.0).await;
    let in_gap = score_of(15.0).await;

    assert_eq!((at_min["status"].as_str(), at_min["contribution"].as_f64()), (Some("ok"), Some(0.0)));
    assert_eq!((at_top_max["status"].as_str(), at_top_max["contribution"].as_f64()), (Some("ok"), Some(100.0)));
    assert_eq!(at_lower_max["status"], "no_interval");
    assert_eq!((in_gap["status"].as_str(), in_gap["contribution"].as_f64()), (Some("no_interval"), Some(0.0)));
}

async fn missing_and_stale_indicators_contribute_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({
        "code": "aging",
        "indicators": [
            {"key": "fresh", "weight": 50},
            {"key": "old", "weight": 30, "max_age_secs": 60},
            {"key": "never", "weight": 20}
        ]
    }))
    .await;
    let two_minutes_ago = (Utc::now() - Duration::minutes(2)).to_rfc3339();
    app.push(json!({"project": "aging", "ts": two_minutes_ago, "values": {"old": 100}})).await;

    let result = app.push(json!({"project": "aging", "values": {"fresh": 10}})).await;

    let status: Vec<&str> =
        result["breakdown"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["ok", "stale", "missing"]);
    assert_eq!(result["value"], 5.0);
    assert!(close(result["coverage"].as_f64().unwrap(), 1.0 / 3.0));
    let states = app.get("/v1/projects/aging/indicators").await.json::<serde_json::Value>().await.unwrap();
    assert_eq!(states[1]["status"], "stale");
    assert_eq!(states[1]["value"], 100.0);
    assert_eq!(states[2]["status"], "missing");
}
