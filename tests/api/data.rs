use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, close, error_fields, expect, expect_problem, fresh_database, plain_project, spawn_app, spawn_with,
    test_settings,
};
use crate::on_both_backends;

on_both_backends!(
    an_array_is_stored_in_one_transaction_with_a_result_each,
    bad_pushes_are_refused_with_the_field_and_store_nothing,
    one_bad_element_of_an_array_stores_none_of_it,
    oversized_pushes_get_413,
    concurrent_pushes_never_produce_a_result_missing_an_acknowledged_value,
);

async fn an_array_is_stored_in_one_transaction_with_a_result_each(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p1")).await;
    app.create_project(plain_project("p2")).await;

    let results = app
        .push(json!([
            {"project": "p1", "values": {"a": 10}},
            {"project": "p2", "values": {"a": 20, "b": 20}},
            {"project": "p1", "ts": "2026-01-01T00:00:00Z", "values": {"b": "5.5"}},
        ]))
        .await;

    // b's value describes 2026-01-01, before a's: the point there has b
    // alone, and a's point (now) takes b into account.
    let values: Vec<f64> = results.as_array().unwrap().iter().map(|r| r["value"].as_f64().unwrap()).collect();
    assert!(close(values[1], 20.0) && close(values[2], 2.2), "{values:?}");
    assert_eq!(results[2]["breakdown"][1]["observed_at"], "2026-01-01T00:00:00Z");
    let history = expect(app.get("/v1/projects/p1/index/history").await, StatusCode::OK).await;
    let points: Vec<f64> = history["items"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert!(points.len() == 2 && close(points[0], 2.2) && close(points[1], 8.2), "{points:?}");
    let b = expect(app.get("/v1/projects/p1/indicators/b/history").await, StatusCode::OK).await;
    assert_eq!(
        b["items"],
        json!([{"value": 5.5, "observed_at": "2026-01-01T00:00:00Z", "received_at": b["items"][0]["received_at"], "source": "push"}])
    );
}

async fn bad_pushes_are_refused_with_the_field_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let cases = [
        (json!({"project": "nope", "values": {"a": 1}}), "project", "POST /v1/projects"),
        (json!({"project": "p", "values": {"zzz": 1}}), "values.zzz", "known indicators: [a, b]"),
        (json!({"project": "p", "values": {"a": "NaN"}}), "values.a", "finite"),
        (json!({"project": "p", "values": {"a": "abc"}}), "values.a", "numeric string"),
        (json!({"project": "p", "values": {"a": true}}), "values.a", "boolean"),
        (json!({"project": "p", "values": {"a": null}}), "values.a", "null"),
        (json!({"project": "p", "values": {}}), "values", "at least one"),
        (json!({"project": "p", "ts": "yesterday", "values": {"a": 1}}), "ts", "RFC 3339"),
        (json!({"project": "p", "ts": "2999-01-01T00:00:00Z", "values": {"a": 1}}), "ts", "future"),
        (json!({"project": "p", "value": 1}), "body", "unknown field"),
        (json!([]), "body", "empty"),
    ];

    for (body, field, hint) in cases {
        let problem = expect_problem(app.post("/v1/data", &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&problem), [field], "{body} -> {problem}");
        assert!(problem["detail"].as_str().unwrap().contains(hint), "{body} -> {problem}");
    }
    expect_problem(app.post_raw("/v1/data", "{\"project\": ").await, StatusCode::BAD_REQUEST).await;
    expect_problem(
        app.post_raw("/v1/data", "{\"project\":\"p\",\"values\":{\"a\":1e999}}").await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    assert_eq!(app.result_count("p").await, 0);
    let history = expect(app.get("/v1/projects/p/indicators/a/history").await, StatusCode::OK).await;
    assert_eq!(history["items"], json!([]));
    expect_problem(app.get("/v1/projects/p/index").await, StatusCode::NOT_FOUND).await;
}

async fn one_bad_element_of_an_array_stores_none_of_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;

    let problem = expect_problem(
        app.post("/v1/data", &json!([{"project": "p", "values": {"a": 1}}, {"project": "p", "values": {"c": 2}}]))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    assert_eq!(error_fields(&problem), ["[1].values.c"]);
    assert_eq!(app.result_count("p").await, 0);
    let history = expect(app.get("/v1/projects/p/indicators/a/history").await, StatusCode::OK).await;
    assert_eq!(history["items"], json!([]));
}

async fn oversized_pushes_get_413(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let many: Vec<Value> = (0..10_001).map(|_| json!({"project": "p", "values": {"a": 1}})).collect();
    let huge = format!("{{\"project\":\"p\",\"values\":{{\"a\":1}},\"pad\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));

    let too_many = expect_problem(app.post("/v1/data", &Value::Array(many)).await, StatusCode::PAYLOAD_TOO_LARGE).await;
    let too_big = expect_problem(app.post_raw("/v1/data", &huge).await, StatusCode::PAYLOAD_TOO_LARGE).await;

    assert!(too_many["detail"].as_str().unwrap().contains("max_values_per_push"), "{too_many}");
    assert!(too_big["detail"].as_str().unwrap().contains("max_body_bytes"), "{too_big}");
    assert_eq!(app.result_count("p").await, 0);
}

async fn concurrent_pushes_never_produce_a_result_missing_an_acknowledged_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let keys: Vec<String> = (0..24).map(|i| format!("k{i}")).collect();
    let indicators: Vec<Value> = keys.iter().map(|k| json!({"key": k, "weight": 1})).collect();
    app.create_project(json!({"code": "busy", "indicators": indicators})).await;

    let bodies: Vec<Value> = keys.iter().map(|k| json!({"project": "busy", "values": {k.as_str(): 1}})).collect();
    let responses = join_all(bodies.iter().map(|body| app.post("/v1/data", body))).await;

    assert!(responses.iter().all(|r| r.status() == StatusCode::OK));
    let latest = expect(app.get("/v1/projects/busy/index").await, StatusCode::OK).await;
    assert_eq!(latest["coverage"], 1.0, "{latest}");
    let mut coverages: Vec<f64> = Vec::new();
    for r in responses {
        coverages.push(r.json::<Value>().await.unwrap()["coverage"].as_f64().unwrap());
    }
    coverages.sort_by(f64::total_cmp);
    // Pushes received in the same microsecond share a point, which then
    // holds both: each point holds at least every earlier push.
    assert!(
        coverages.iter().enumerate().all(|(i, c)| *c >= (i + 1) as f64 / 24.0 - 1e-9),
        "each push saw every earlier one: {coverages:?}"
    );
}

/// Several writers commit in parallel on PostgreSQL (`[database] writers`);
/// each project's pushes still go through one of them, in order.
#[tokio::test]
async fn several_writers_on_postgres_keep_every_projects_pushes_in_order() {
    let (url, dir) = fresh_database(Backend::Postgres).await;
    let mut settings = test_settings(&url);
    settings.database.writers = 3;
    let app = spawn_with(settings, dir).await;
    let codes: Vec<String> = (0..6).map(|n| format!("w{n}")).collect();
    for code in &codes {
        app.create_project(json!({"code": code, "indicators": [{"key": "a", "weight": 100}]})).await;
    }
    let pushes = |code: &str| {
        let app = &app;
        let code = code.to_string();
        async move {
            for n in 0..20 {
                let body = json!({"project": code, "ts": format!("2026-01-01T00:00:{n:02}Z"), "values": {"a": n}});
                expect(app.post("/v1/data", &body).await, StatusCode::OK).await;
            }
        }
    };
    join_all(codes.iter().map(|code| pushes(code))).await;

    for code in &codes {
        let page = expect(app.get(&format!("/v1/projects/{code}/index/history?limit=100")).await, StatusCode::OK).await;
        let values: Vec<f64> = page["items"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
        let expected: Vec<f64> = (0..20).map(f64::from).collect();
        assert_eq!(values, expected, "project {code}, in event-time order");
        let indicators = expect(app.get(&format!("/v1/projects/{code}/indicators")).await, StatusCode::OK).await;
        assert_eq!(indicators[0]["value"], 19.0, "{indicators}");
    }
}
