//! `/v1/remote`: managing sources, pulling now, dry runs.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Backend, TestApp, error_fields, expect, expect_problem, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    sources_are_created_read_listed_replaced_and_deleted_with_headers_hidden,
    invalid_sources_are_refused_naming_the_field,
    pull_now_stores_values_and_returns_the_result,
    a_500_then_200_succeeds_after_a_retry,
    a_404_is_not_retried_and_is_recorded,
    a_slow_source_times_out,
    a_10_mib_body_is_refused,
    a_wrong_path_records_a_clear_last_error,
    a_dry_run_extracts_and_stores_nothing,
);

/// Project `p` (a: 60 %, b: 40 %) and a source for it at `url`.
pub async fn source_for(app: &TestApp, url: &str, extra: Value) -> Value {
    app.create_project(plain_project("p")).await;
    let mut body = json!({
        "project": "p", "name": "station", "url": url, "schedule": "@hourly",
        "mappings": [{"indicator": "a", "path": "data.a"}, {"indicator": "b", "path": "$.data.b"}]
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    expect(app.post("/v1/remote", &body).await, StatusCode::CREATED).await
}

fn doc() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"a": 30, "b": "50"}}))
}

async fn pull(app: &TestApp, source: &Value) -> reqwest::Response {
    app.post(&format!("/v1/remote/{}/pull", source["id"]), &json!({})).await
}

async fn sources_are_created_read_listed_replaced_and_deleted_with_headers_hidden(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(header("authorization", "Bearer s3cret")).respond_with(doc()).expect(1).mount(&upstream).await;

    let created = source_for(&app, &upstream.uri(), json!({"headers": {"authorization": "Bearer s3cret"}})).await;
    let id = created["id"].as_i64().unwrap();
    let listed = expect(app.get("/v1/remote").await, StatusCode::OK).await;
    let mut replacement = created.clone();
    for k in [
        "id",
        "last_run_at",
        "last_success_at",
        "last_error",
        "last_values",
        "consecutive_failures",
        "next_run_at",
        "created_at",
        "updated_at",
    ] {
        replacement.as_object_mut().unwrap().remove(k);
    }
    replacement["name"] = json!("renamed");
    let replaced = expect(app.put(&format!("/v1/remote/{id}"), &replacement).await, StatusCode::OK).await;
    expect(pull(&app, &created).await, StatusCode::OK).await;
    expect(app.delete(&format!("/v1/remote/{id}")).await, StatusCode::NO_CONTENT).await;

    assert_eq!(created["headers"], json!({"authorization": "***"}));
    assert_eq!(created["mappings"][0]["path"], "$.data.a", "dot paths are stored as JSONPath");
    assert!(created["next_run_at"].is_string(), "{created}");
    assert_eq!(listed["items"][0]["id"], id);
    assert_eq!(
        (replaced["name"].as_str(), replaced["headers"]["authorization"].as_str()),
        (Some("renamed"), Some("***"))
    );
    expect_problem(app.get(&format!("/v1/remote/{id}")).await, StatusCode::NOT_FOUND).await;
    upstream.verify().await;
}

async fn invalid_sources_are_refused_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let valid = json!({"project": "p", "url": "http://127.0.0.1:9/x", "schedule": "@every 30s", "mappings": [{"indicator": "a", "path": "a"}]});
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let cases = [
        (with("url", json!("file:///etc/passwd")), "url"),
        (with("url", json!("not a url")), "url"),
        (with("project", json!("nope")), "project"),
        (with("schedule", json!("every minute")), "schedule"),
        (with("method", json!("PATCH")), "method"),
        (with("timeout_ms", json!(0)), "timeout_ms"),
        (with("mappings", json!([])), "mappings"),
        (with("mappings", json!([{"indicator": "zz", "path": "a"}])), "mappings[0].indicator"),
        (with("mappings", json!([{"indicator": "a", "path": "$.a["}])), "mappings[0].path"),
    ];

    for (body, field) in cases {
        let problem = expect_problem(app.post("/v1/remote", &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&problem), [field], "{body}");
    }
    assert_eq!(expect(app.get("/v1/remote").await, StatusCode::OK).await["items"], json!([]));
}

async fn pull_now_stores_values_and_returns_the_result(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET")).and(path("/metrics")).respond_with(doc()).mount(&upstream).await;
    let source = source_for(&app, &format!("{}/metrics", upstream.uri()), json!({})).await;

    let outcome = expect(pull(&app, &source).await, StatusCode::OK).await;

    assert_eq!(outcome["values"], json!({"a": 30.0, "b": 50.0}));
    assert_eq!(outcome["errors"], json!([]));
    assert_eq!(outcome["result"]["value"], 38.0);
    let history = expect(app.get("/v1/projects/p/indicators/a/history").await, StatusCode::OK).await;
    assert_eq!(history["items"][0]["source"], format!("pull:{}", source["id"]));
    let status = expect(app.get(&format!("/v1/remote/{}", source["id"])).await, StatusCode::OK).await;
    assert!(status["last_success_at"].is_string() && status["last_run_at"].is_string(), "{status}");
    assert_eq!((status["consecutive_failures"].as_i64(), status["last_error"].is_null()), (Some(0), true));
    assert_eq!(status["last_values"], json!({"a": 30.0, "b": 50.0}));
}

async fn a_500_then_200_succeeds_after_a_retry(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&upstream)
        .await;
    Mock::given(method("GET")).respond_with(doc()).with_priority(2).mount(&upstream).await;
    let source = source_for(&app, &upstream.uri(), json!({})).await;

    let outcome = expect(pull(&app, &source).await, StatusCode::OK).await;

    assert_eq!(outcome["values"]["a"], 30.0);
    assert_eq!(upstream.received_requests().await.unwrap().len(), 2);
}

async fn a_404_is_not_retried_and_is_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(404)).mount(&upstream).await;
    let source = source_for(&app, &upstream.uri(), json!({})).await;

    let problem = expect_problem(pull(&app, &source).await, StatusCode::BAD_GATEWAY).await;

    assert!(problem["detail"].as_str().unwrap().contains("HTTP 404; check the URL"), "{problem}");
    assert_eq!(upstream.received_requests().await.unwrap().len(), 1);
    let status = expect(app.get(&format!("/v1/remote/{}", source["id"])).await, StatusCode::OK).await;
    assert_eq!(status["consecutive_failures"], 1);
    assert!(status["last_error"].as_str().unwrap().contains("404"), "{status}");
    assert!(status["last_success_at"].is_null());
}

async fn a_slow_source_times_out(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET")).respond_with(doc().set_delay(Duration::from_secs(5))).mount(&upstream).await;
    let source = source_for(&app, &upstream.uri(), json!({"timeout_ms": 300})).await;
    let started = Instant::now();

    let problem = expect_problem(pull(&app, &source).await, StatusCode::BAD_GATEWAY).await;

    assert!(started.elapsed() < Duration::from_secs(3), "gave up after {:?}", started.elapsed());
    assert!(problem["detail"].as_str().unwrap().contains("no response within 300 ms"), "{problem}");
}

async fn a_10_mib_body_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    let huge = format!("{{\"data\":{{\"a\":1,\"pad\":\"{}\"}}}}", "x".repeat(10 * 1024 * 1024));
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&upstream)
        .await;
    let source = source_for(&app, &upstream.uri(), json!({})).await;

    let problem = expect_problem(pull(&app, &source).await, StatusCode::BAD_GATEWAY).await;

    assert!(problem["detail"].as_str().unwrap().contains("larger than 1048576 bytes"), "{problem}");
    assert_eq!(app.result_count("p").await, 0);
}

async fn a_wrong_path_records_a_clear_last_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET")).respond_with(doc()).mount(&upstream).await;
    let source = source_for(
        &app,
        &upstream.uri(),
        json!({"mappings": [{"indicator": "a", "path": "data.a"}, {"indicator": "b", "path": "data.nope"}]}),
    )
    .await;

    let outcome = expect(pull(&app, &source).await, StatusCode::OK).await;

    assert_eq!(outcome["values"], json!({"a": 30.0}));
    assert_eq!(outcome["errors"], json!(["b: path $.data.nope matched nothing in the response"]));
    let status = expect(app.get(&format!("/v1/remote/{}", source["id"])).await, StatusCode::OK).await;
    assert_eq!(status["last_error"], "b: path $.data.nope matched nothing in the response");
    assert_eq!(status["consecutive_failures"], 1);
}

async fn a_dry_run_extracts_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("POST")).respond_with(doc()).mount(&upstream).await;
    app.create_project(plain_project("p")).await;

    let outcome = expect(
        app.post(
            "/v1/remote/test",
            &json!({"url": upstream.uri(), "method": "POST", "body": {"q": 1}, "mappings": [{"indicator": "x", "path": "data.b"}, {"indicator": "y", "path": "data.zz"}]}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(outcome["values"], json!({"x": 50.0}));
    assert_eq!(outcome["errors"].as_array().unwrap().len(), 1);
    let sent = &upstream.received_requests().await.unwrap()[0];
    assert_eq!(serde_json::from_slice::<Value>(&sent.body).unwrap(), json!({"q": 1}));
    assert_eq!(app.result_count("p").await, 0);
}
