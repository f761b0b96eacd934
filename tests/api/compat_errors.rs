//! How the façade reports failures: HTTP 200 with `code` ≠ 0 by default,
//! as the original service did, or the real status when configured; the
//! router's own refusals and a database outage included.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

use crate::compat::{failed, failed_with, ok};
use crate::helpers::{
    Backend, expect_problem, fresh_database, pg_admin_url, plain_project, spawn_app, spawn_with, test_settings,
};
use crate::on_both_backends;

on_both_backends!(router_refusals_on_facade_paths_get_the_envelope, real_statuses_are_one_setting_away);

async fn router_refusals_on_facade_paths_get_the_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let send = |method: Method, path: &str| app.client.request(method, format!("{}{path}", app.address)).send();

    failed(send(Method::GET, "/v1/setup/nope").await.unwrap(), StatusCode::NOT_FOUND, &["/v1/setup/nope"]).await;
    failed(send(Method::PATCH, "/v1/setup").await.unwrap(), StatusCode::METHOD_NOT_ALLOWED, &["PATCH"]).await;
    failed(send(Method::DELETE, "/v1/index").await.unwrap(), StatusCode::METHOD_NOT_ALLOWED, &["DELETE"]).await;
    // Native routes keep their statuses and problem+json.
    expect_problem(send(Method::GET, "/v1/projects/nope").await.unwrap(), StatusCode::NOT_FOUND).await;
    let native_push = app.post("/v1/data", &json!({"project": "nope", "values": {"a": 1}})).await;
    expect_problem(native_push, StatusCode::UNPROCESSABLE_ENTITY).await;
}

async fn real_statuses_are_one_setting_away(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.compat.http_error_status = true;
    let app = spawn_with(settings, dir).await;
    app.create_project(plain_project("p")).await;

    let invalid = app.post("/v1/setup", &json!({"title": "T", "targets": [{"name": "a", "weight": "x"}]})).await;
    failed_with(invalid, StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY, &["targets[0].weight"])
        .await;
    let unknown = app.get("/v1/index?itemcode=nope").await;
    failed_with(unknown, StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, &["nope"]).await;
    let legacy = app.post("/v1/data", &json!({"itemcode": "p", "name": "zz", "value": 1})).await;
    failed_with(legacy, StatusCode::UNPROCESSABLE_ENTITY, StatusCode::UNPROCESSABLE_ENTITY, &["zz"]).await;
    let pushed = ok(app.post("/v1/data", &json!({"itemcode": "p", "name": "a", "value": 10})).await).await;
    assert!(pushed["value"].is_number(), "{pushed}");
}

/// PostgreSQL going away under a running server (connections refused and
/// cut): the façade says so in the envelope, HTTP 200, and recovers.
#[tokio::test]
async fn a_database_outage_is_reported_in_the_envelope() {
    let (db_url, _) = fresh_database(Backend::Postgres).await;
    let mut settings = test_settings(&db_url);
    settings.database.connect_timeout_secs = 1;
    let app = spawn_with(settings, None).await;
    app.create_project(plain_project("p")).await;
    let name = db_url.rsplit_once('/').unwrap().1.to_string();
    let admin = Database::connect(pg_admin_url()).await.expect("admin connection");
    let set_connections = |allow: bool| {
        format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
    };

    admin.execute_unprepared(&set_connections(false)).await.expect("cut the server off");
    let during = app.get("/v1/setup?itemcode=p").await;
    let pushed = app.post("/v1/data", &json!({"itemcode": "p", "name": "a", "value": 1})).await;
    admin.execute_unprepared(&set_connections(true)).await.expect("let it back in");

    failed(during, StatusCode::SERVICE_UNAVAILABLE, &["database", "retry"]).await;
    failed(pushed, StatusCode::SERVICE_UNAVAILABLE, &["nothing was stored"]).await;
    let after = ok(app.get("/v1/setup?itemcode=p").await).await;
    assert_eq!(after["item_code"], "p");
    assert_eq!(app.result_count("p").await, 0);
}
