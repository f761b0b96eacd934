//! Input limits: body size, indicators per project, source fields, and the
//! per-key rate limit.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::secured;
use crate::helpers::{
    Backend, error_fields, expect, expect_problem, fresh_database, plain_project, spawn_app, spawn_with, test_settings,
};
use crate::on_both_backends;

on_both_backends!(
    a_body_over_the_limit_gets_413,
    a_project_over_the_indicator_limit_gets_422,
    overlong_source_urls_and_headers_get_422,
    a_key_over_its_rate_gets_429_with_retry_after,
);

fn indicators(n: usize) -> Value {
    Value::Array((0..n).map(|i| json!({"key": format!("k{i}"), "weight": 1})).collect())
}

async fn a_body_over_the_limit_gets_413(backend: Backend) {
    let app = spawn_app(backend).await;
    let padding = "x".repeat(1024 * 1024);
    let body = json!({"project": "p", "values": {"a": 1}, "ts": padding}).to_string();

    let problem = expect_problem(app.post_raw("/v1/data", &body).await, StatusCode::PAYLOAD_TOO_LARGE).await;

    assert!(problem["detail"].as_str().unwrap().contains("max_body_bytes"), "{problem}");
}

async fn a_project_over_the_indicator_limit_gets_422(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.server.max_indicators_per_project = 3;
    let app = spawn_with(settings, dir).await;
    let at_limit = json!({"code": "p", "indicators": indicators(3)});
    let over = json!({"code": "q", "indicators": indicators(4)});

    let created = app.post("/v1/projects", &at_limit).await.status();
    let too_many = expect_problem(app.post("/v1/projects", &over).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let replaced = app.put("/v1/projects/q", &json!({"indicators": indicators(4)})).await.status();
    let added = app.put("/v1/projects/p/indicators/k3", &json!({"weight": 1})).await.status();
    let updated = app.put("/v1/projects/p/indicators/k2", &json!({"weight": 5})).await.status();

    assert_eq!(created, StatusCode::CREATED);
    assert_eq!(error_fields(&too_many), ["indicators"]);
    assert!(too_many["detail"].as_str().unwrap().contains("max_indicators_per_project"), "{too_many}");
    assert_eq!(
        (replaced, added, updated),
        (StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY, StatusCode::OK)
    );
}

async fn overlong_source_urls_and_headers_get_422(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let source = |url: String, headers: Value| json!({"project": "p", "url": url, "headers": headers, "schedule": "@hourly", "mappings": [{"indicator": "a", "path": "a"}]});
    let long_url = format!("http://127.0.0.1:9/{}", "a".repeat(3000));

    let url =
        expect_problem(app.post("/v1/remote", &source(long_url, json!({}))).await, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    let header_body = source("http://127.0.0.1:9/".into(), json!({"x-token": "t".repeat(10_000)}));
    let header = expect_problem(app.post("/v1/remote", &header_body).await, StatusCode::UNPROCESSABLE_ENTITY).await;

    assert_eq!(error_fields(&url), ["url"]);
    assert_eq!(error_fields(&header), ["headers.x-token"]);
}

async fn a_key_over_its_rate_gets_429_with_retry_after(backend: Backend) {
    let s = secured(backend, |s| {
        s.auth.rate_limit_per_sec = 0.5;
        s.auth.rate_burst = 3;
    })
    .await;
    let (_, other) = s.key("read", &[]).await;

    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(s.as_admin(Method::GET, "/v1/projects", None).await.status());
    }
    let limited = s.as_admin(Method::GET, "/v1/projects", None).await;
    let retry_after: u64 = limited.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    let problem = expect_problem(limited, StatusCode::TOO_MANY_REQUESTS).await;
    let other_key = s.app.send_as(Some(&other), Method::GET, "/v1/projects", None).await;

    // The admin spent the first of its 3 tokens creating the second key.
    assert_eq!(statuses, [StatusCode::OK; 2]);
    assert!((1..=2).contains(&retry_after), "Retry-After: {retry_after}");
    assert!(problem["detail"].as_str().unwrap().contains("rate_limit_per_sec"), "{problem}");
    expect(other_key, StatusCode::OK).await;
}
