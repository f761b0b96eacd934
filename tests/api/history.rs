use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, error_fields, expect, expect_problem, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    index_history_pages_with_a_cursor_in_either_order,
    index_history_downsamples_into_buckets,
    history_parameters_are_validated,
    history_keeps_every_digit,
    chart_buckets_keep_every_digit,
);

async fn push_series(app: &crate::helpers::TestApp, values: &[f64]) {
    for v in values {
        app.push(json!({"project": "h", "values": {"a": v}})).await;
    }
}

async fn index_history_pages_with_a_cursor_in_either_order(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    push_series(&app, &[1.0, 2.0, 3.0, 4.0, 5.0]).await;

    let mut seen = Vec::new();
    let mut path = "/v1/projects/h/index/history?limit=2".to_string();
    loop {
        let page = expect(app.get(&path).await, StatusCode::OK).await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/projects/h/index/history?limit=2&cursor={c}"),
            None => break,
        }
    }
    let newest = expect(app.get("/v1/projects/h/index/history?order=desc&limit=2").await, StatusCode::OK).await;

    assert_eq!(seen, [1.0, 2.0, 3.0, 4.0, 5.0]);
    let newest: Vec<f64> = newest["items"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect();
    assert_eq!(newest, [5.0, 4.0]);
}

async fn index_history_downsamples_into_buckets(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    push_series(&app, &[2.0, 8.0, 5.0]).await;
    let bucket = |agg: &'static str| {
        let app = &app;
        async move {
            let page =
                expect(app.get(&format!("/v1/projects/h/index/history?step=1d&agg={agg}")).await, StatusCode::OK).await;
            page["items"].as_array().unwrap().clone()
        }
    };

    let (avg, min, max, last) = (bucket("avg").await, bucket("min").await, bucket("max").await, bucket("last").await);

    // All three pushes fall in today's bucket unless the test straddles midnight UTC.
    let all: Vec<&Value> = avg.iter().collect();
    if all.len() == 1 {
        assert_eq!(avg[0]["value"], 5.0);
        assert_eq!(avg[0]["count"], 3);
        assert_eq!(min[0]["value"], 2.0);
        assert_eq!(max[0]["value"], 8.0);
        assert_eq!(last[0]["value"], 5.0);
        assert!(avg[0]["start"].as_str().unwrap().ends_with("T00:00:00Z"), "{}", avg[0]);
    } else {
        let counts: i64 = avg.iter().map(|b| b["count"].as_i64().unwrap()).sum();
        assert_eq!(counts, 3);
    }
}

async fn history_parameters_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("h")).await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("from=yesterday", "from"),
        ("cursor=garbage", "cursor"),
        ("order=sideways", "order"),
        ("step=5y", "step"),
        ("step=5m&agg=median", "agg"),
        ("agg=avg", "agg"),
    ];

    for (query, field) in cases {
        let problem = expect_problem(
            app.get(&format!("/v1/projects/h/index/history?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), [field], "{query}");
    }
    expect_problem(app.get("/v1/projects/h/index/history?limit=-1").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    expect_problem(app.get("/v1/projects/h/indicators/zz/history").await, StatusCode::NOT_FOUND).await;
    expect_problem(app.get("/v1/projects/none/index/history").await, StatusCode::NOT_FOUND).await;
}

/// Values whose shortest decimal form needs all 17 digits, tiny and huge.
const AWKWARD: [f64; 6] = [0.30000000000000004, 1.0 / 3.0, 1e-300, 123456789.12345679, 5e-324, -2.5e99];

async fn history_keeps_every_digit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    push_series(&app, &AWKWARD).await;

    let index = expect(app.get("/v1/projects/h/index/history").await, StatusCode::OK).await;
    let observed = expect(app.get("/v1/projects/h/indicators/a/history?order=asc").await, StatusCode::OK).await;

    let values = |page: &Value| -> Vec<f64> {
        page["items"].as_array().unwrap().iter().map(|p| p["value"].as_f64().unwrap()).collect()
    };
    // Weight 100 and no intervals: each index value is the pushed value.
    assert_eq!(values(&index), AWKWARD);
    assert_eq!(values(&observed), AWKWARD);
}

async fn chart_buckets_keep_every_digit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(json!({"code": "h", "indicators": [{"key": "a", "weight": 100}]})).await;
    for (day, v) in AWKWARD.iter().enumerate() {
        let ts = format!("2026-01-0{}T12:00:00Z", day + 1);
        app.push(json!({"project": "h", "ts": ts, "values": {"a": v}})).await;
    }

    for agg in ["avg", "min", "max", "first", "last"] {
        let days = format!("/v1/projects/h/index/history?step=1d&agg={agg}");
        let buckets = expect(app.get(&days).await, StatusCode::OK).await;
        let values: Vec<f64> =
            buckets["items"].as_array().unwrap().iter().map(|b| b["value"].as_f64().unwrap()).collect();
        assert_eq!(values, AWKWARD, "{agg}");
    }
}
