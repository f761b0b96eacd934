//! `GET /v1/history` and `GET /v1/index/targets`: the native history and
//! indicator states in the original's envelope and vocabulary.

use reqwest::StatusCode;
use serde_json::json;

use crate::compat::{failed, ok};
use crate::helpers::{Backend, close, expect, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(history_and_targets_answer_what_the_native_routes_do, history_and_targets_refuse_bad_queries);

async fn history_and_targets_answer_what_the_native_routes_do(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    for (i, a) in [10.0, 20.0, 30.0].into_iter().enumerate() {
        let at = format!("2026-11-20T10:0{i}:00Z");
        app.push(json!({"project": "p", "ts": at, "values": {"a": a, "b": 5}})).await;
    }

    let history = ok(app.get("/v1/history?itemcode=p&limit=2").await).await;
    let native = expect(app.get("/v1/projects/p/index/history?limit=2").await, StatusCode::OK).await;
    let buckets = ok(app.get("/v1/history?item_code=p&step=1h&agg=max").await).await;
    let values = ok(app.get("/v1/history?itemcode=p&name=a&order=desc").await).await;
    let targets = ok(app.get("/v1/index/targets?itemcode=p").await).await;

    assert_eq!(history, native);
    assert_eq!(history["items"].as_array().unwrap().len(), 2, "{history}");
    assert!(history["next_cursor"].is_string(), "{history}");
    assert_eq!(buckets["items"].as_array().unwrap().len(), 1, "{buckets}");
    assert!(close(buckets["items"][0]["value"].as_f64().unwrap(), 30.0 * 0.6 + 5.0 * 0.4), "{buckets}");
    let newest_first: Vec<f64> =
        values["items"].as_array().unwrap().iter().map(|o| o["value"].as_f64().unwrap()).collect();
    assert_eq!(newest_first, [30.0, 20.0, 10.0]);
    let named: Vec<(&str, f64)> = targets
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["value"].as_f64().unwrap()))
        .collect();
    assert_eq!(named, [("a", 30.0), ("b", 5.0)]);
    assert!(close(targets[0]["contribution"].as_f64().unwrap(), 18.0), "{targets}");
}

async fn history_and_targets_refuse_bad_queries(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let empty = ok(app.get("/v1/history?itemcode=p").await).await;

    assert_eq!(empty, json!({"items": [], "next_cursor": null}), "arrays are never null");
    failed(app.get("/v1/history").await, StatusCode::UNPROCESSABLE_ENTITY, &["itemcode", "required"]).await;
    failed(app.get("/v1/history?itemcode=nope").await, StatusCode::NOT_FOUND, &["nope"]).await;
    failed(app.get("/v1/history?itemcode=p&name=zz").await, StatusCode::NOT_FOUND, &["zz"]).await;
    failed(app.get("/v1/history?itemcode=p&name=a&step=1h").await, StatusCode::UNPROCESSABLE_ENTITY, &["step"]).await;
    failed(app.get("/v1/history?itemcode=p&step=fortnight").await, StatusCode::UNPROCESSABLE_ENTITY, &["step"]).await;
    failed(app.get("/v1/history?itemcode=p&limit=0").await, StatusCode::UNPROCESSABLE_ENTITY, &["limit"]).await;
    failed(app.get("/v1/history?itemcode=p&from=yesterday").await, StatusCode::UNPROCESSABLE_ENTITY, &["from"]).await;
    failed(app.get("/v1/index/targets").await, StatusCode::UNPROCESSABLE_ENTITY, &["itemcode"]).await;
    let unscored = ok(app.get("/v1/index/targets?itemcode=p").await).await;
    assert_eq!(unscored[0]["value"], json!(null), "{unscored}");
    assert_eq!(unscored[0]["name"], "a");
}
