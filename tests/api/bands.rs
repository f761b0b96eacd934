//! Descending ("lower is better") bands, the interval field names and the
//! missing-values policy, through the HTTP API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, close, error_fields, expect, expect_problem, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    a_descending_band_scores_more_for_lower_values,
    legacy_min_and_max_are_read_back_as_start_and_end,
    equal_endpoints_are_refused_naming_the_field,
    renormalize_gives_the_missing_weight_to_the_indicators_with_a_value,
);

async fn a_descending_band_scores_more_for_lower_values(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({
        "code": "latency",
        "indicators": [{"key": "ms", "weight": 100, "intervals": [{"start": 50, "end": 0, "score": 100}]}]
    }))
    .await;

    let result = app.push(json!({"project": "latency", "values": {"ms": 10}})).await;

    assert!(close(result["value"].as_f64().unwrap(), 80.0), "{result}");
    let part = &result["breakdown"][0];
    assert!(close(part["position"].as_f64().unwrap(), 0.8), "{part}");
    assert_eq!(part["interval"], json!({"start": 50.0, "end": 0.0, "score": 100.0}));
    let latest = expect(app.get("/v1/projects/latency/index").await, StatusCode::OK).await;
    assert_eq!(latest["breakdown"][0]["interval"], part["interval"]);
}

async fn legacy_min_and_max_are_read_back_as_start_and_end(backend: Backend) {
    let app = spawn_app(backend).await;
    let legacy = json!({"min": 0, "max": 50, "score": 10});

    app.create_project(json!({"code": "old", "indicators": [{"key": "v", "weight": 50, "intervals": [legacy]}]})).await;

    let stored = expect(app.get("/v1/projects/old").await, StatusCode::OK).await;
    assert_eq!(stored["indicators"][0]["intervals"], json!([{"start": 0.0, "end": 50.0, "score": 10.0}]));
    assert_eq!(stored["missing_policy"], "zero");
}

async fn equal_endpoints_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({"code": "flat", "indicators": [{"key": "v", "weight": 5, "intervals": [{"start": 5, "end": 5, "score": 1}]}]});

    let problem = expect_problem(app.post("/v1/projects", &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    assert_eq!(error_fields(&problem), ["indicators[0].intervals[0].end"]);
    let message = problem["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("greater than start") && message.contains("less than start"), "{message}");
    expect_problem(app.get("/v1/projects/flat").await, StatusCode::NOT_FOUND).await;
}

async fn renormalize_gives_the_missing_weight_to_the_indicators_with_a_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let project = |code: &str, policy: &str| json!({"code": code, "missing_policy": policy, "indicators": [{"key": "a", "weight": 60}, {"key": "b", "weight": 40}]});
    app.create_project(project("zeroed", "zero")).await;
    let created = app.create_project(project("shared", "renormalize")).await;

    let zeroed = app.push(json!({"project": "zeroed", "values": {"a": 30}})).await;
    let shared = app.push(json!({"project": "shared", "values": {"a": 30}})).await;

    assert_eq!(created["missing_policy"], "renormalize");
    assert!(close(zeroed["value"].as_f64().unwrap(), 18.0), "{zeroed}");
    assert_eq!(
        (&zeroed["missing_policy"], &zeroed["breakdown"][0]["effective_weight"]),
        (&json!("zero"), &json!(60.0))
    );
    assert!(close(shared["value"].as_f64().unwrap(), 30.0), "{shared}");
    let latest = expect(app.get("/v1/projects/shared/index").await, StatusCode::OK).await;
    for result in [&shared, &latest] {
        assert_eq!(result["missing_policy"], "renormalize", "{result}");
        let weights: Vec<&Value> =
            result["breakdown"].as_array().unwrap().iter().map(|c| &c["effective_weight"]).collect();
        assert_eq!(weights, [&json!(100.0), &json!(0.0)], "{result}");
    }
}
