use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, error_fields, expect, expect_problem, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    projects_are_created_read_listed_replaced_and_deleted,
    a_project_without_code_gets_one,
    weight_sum_is_reported_so_admins_see_it_is_not_100,
    indicators_are_upserted_and_removed_one_at_a_time,
    invalid_projects_are_refused_naming_the_field_and_nothing_is_stored,
    a_taken_code_is_a_conflict,
    malformed_bodies_get_a_problem_not_a_crash,
);

async fn projects_are_created_read_listed_replaced_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;

    let created = app.create_project(plain_project("alpha")).await;
    app.create_project(plain_project("beta")).await;
    let read = expect(app.get("/v1/projects/alpha").await, StatusCode::OK).await;
    let first_page = expect(app.get("/v1/projects?limit=1").await, StatusCode::OK).await;
    let second_page = expect(
        app.get(&format!("/v1/projects?limit=1&cursor={}", first_page["next_cursor"].as_str().unwrap())).await,
        StatusCode::OK,
    )
    .await;
    let replaced = expect(
        app.put("/v1/projects/alpha", &json!({"title": "Renamed", "indicators": [{"key": "c", "weight": 100}]})).await,
        StatusCode::OK,
    )
    .await;
    expect(app.delete("/v1/projects/alpha").await, StatusCode::NO_CONTENT).await;

    assert_eq!(created["revision"], 1);
    assert_eq!(read, created);
    assert_eq!(first_page["items"][0]["code"], "alpha");
    assert_eq!((second_page["items"][0]["code"].as_str(), second_page["next_cursor"].as_str()), (Some("beta"), None));
    assert_eq!(replaced["revision"], 2);
    assert_eq!(replaced["title"], "Renamed");
    assert_eq!(replaced["indicators"].as_array().unwrap().len(), 1);
    expect_problem(app.get("/v1/projects/alpha").await, StatusCode::NOT_FOUND).await;
    expect_problem(app.delete("/v1/projects/alpha").await, StatusCode::NOT_FOUND).await;
}

async fn a_project_without_code_gets_one(backend: Backend) {
    let app = spawn_app(backend).await;

    let created = app.create_project(json!({"title": "No code"})).await;

    let code = created["code"].as_str().unwrap();
    assert!(koi::domain::is_slug(code), "{code}");
    expect(app.get(&format!("/v1/projects/{code}")).await, StatusCode::OK).await;
}

async fn weight_sum_is_reported_so_admins_see_it_is_not_100(backend: Backend) {
    let app = spawn_app(backend).await;

    let created = app
        .create_project(json!({"code": "w", "indicators": [{"key": "a", "weight": 30}, {"key": "b", "weight": 45.5}]}))
        .await;

    assert_eq!(created["weight_sum"], 75.5);
}

async fn indicators_are_upserted_and_removed_one_at_a_time(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("ind")).await;

    let added =
        expect(app.put("/v1/projects/ind/indicators/c", &json!({"weight": 10})).await, StatusCode::CREATED).await;
    let changed =
        expect(app.put("/v1/projects/ind/indicators/a", &json!({"weight": 50, "unit": "%"})).await, StatusCode::OK)
            .await;
    let removed = expect(app.delete("/v1/projects/ind/indicators/b").await, StatusCode::OK).await;

    assert_eq!((added["revision"].as_i64(), added["weight_sum"].as_f64()), (Some(2), Some(110.0)));
    assert_eq!(
        changed["indicators"][0],
        json!({"key": "a", "title": "", "unit": "%", "weight": 50.0, "intervals": [], "max_age_secs": null})
    );
    let keys: Vec<&str> =
        removed["indicators"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["a", "c"]);
    assert_eq!(removed["revision"], 4);
    expect_problem(app.delete("/v1/projects/ind/indicators/b").await, StatusCode::NOT_FOUND).await;
    expect_problem(app.put("/v1/projects/nope/indicators/a", &json!({"weight": 1})).await, StatusCode::NOT_FOUND).await;
    let mismatch = expect_problem(
        app.put("/v1/projects/ind/indicators/a", &json!({"key": "z", "weight": 1})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&mismatch), ["key"]);
}

async fn invalid_projects_are_refused_naming_the_field_and_nothing_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (json!({"code": "Bad Code"}), "code"),
        (json!({"code": "x", "indicators": [{"key": "a", "weight": -5}]}), "indicators[0].weight"),
        (json!({"code": "x", "indicators": [{"key": "a b", "weight": 5}]}), "indicators[0].key"),
        (
            json!({"code": "x", "indicators": [{"key": "a", "weight": 5}, {"key": "a", "weight": 5}]}),
            "indicators[1].key",
        ),
        (
            json!({"code": "x", "indicators": [{"key": "a", "weight": 5, "intervals": [{"start": 5, "end": 5, "score": 1}]}]}),
            "indicators[0].intervals[0].end",
        ),
        (
            json!({"code": "x", "indicators": [{"key": "a", "weight": 5, "intervals": [{"start": 0, "end": 10, "score": 1}, {"start": 20, "end": 5, "score": 1}]}]}),
            "indicators[0].intervals[1]",
        ),
        (
            json!({"code": "x", "indicators": [{"key": "a", "weight": 5, "intervals": [{"start": 0, "end": 1, "score": -1}]}]}),
            "indicators[0].intervals[0].score",
        ),
    ];

    for (body, field) in cases {
        let problem = expect_problem(app.post("/v1/projects", &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(error_fields(&problem), [field], "{body}");
        assert!(problem["detail"].as_str().unwrap().contains(field), "{problem}");
    }

    let list = expect(app.get("/v1/projects").await, StatusCode::OK).await;
    assert_eq!(list["items"], json!([]));
    app.create_project(plain_project("kept")).await;
    let bad_replace = json!({"indicators": [{"key": "a", "weight": -1}]});
    expect_problem(app.put("/v1/projects/kept", &bad_replace).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    let kept = expect(app.get("/v1/projects/kept").await, StatusCode::OK).await;
    assert_eq!(kept["revision"], 1);
    assert_eq!(kept["weight_sum"], 100.0);
}

async fn a_taken_code_is_a_conflict(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("dup")).await;

    let problem = expect_problem(app.post("/v1/projects", &plain_project("dup")).await, StatusCode::CONFLICT).await;

    assert!(problem["detail"].as_str().unwrap().contains("PUT"), "{problem}");
}

async fn malformed_bodies_get_a_problem_not_a_crash(backend: Backend) {
    let app = spawn_app(backend).await;

    expect_problem(app.post_raw("/v1/projects", "{not json").await, StatusCode::BAD_REQUEST).await;
    let unknown = expect_problem(
        app.post("/v1/projects", &json!({"code": "x", "colour": "red"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let wrong_type = expect_problem(
        app.post("/v1/projects", &json!({"code": "x", "indicators": "a"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let text = app.client.post(format!("{}/v1/projects", app.address)).body("code=x").send().await.unwrap();
    expect_problem(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    expect_problem(app.get("/v1/nowhere").await, StatusCode::NOT_FOUND).await;

    assert!(unknown["detail"].as_str().unwrap().contains("colour"), "{unknown}");
    assert!(wrong_type["detail"].as_str().unwrap().contains("invalid type"), "{wrong_type}");
    expect(app.get("/health").await, StatusCode::OK).await;
}
