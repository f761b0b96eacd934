//! Sources may not reach loopback, private, link-local... addresses unless
//! allowed. Every denied address here is refused by the policy before any
//! connection: no test sends traffic anywhere but 127.0.0.1.

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{
    Backend, TestApp, error_fields, expect, expect_problem, fresh_database, spawn_with, test_settings,
};
use crate::on_both_backends;
use crate::pull_sources::source_for;

on_both_backends!(
    sources_aimed_at_denied_ranges_are_refused_when_written,
    a_server_that_denies_loopback_refuses_to_pull_a_stored_loopback_source,
    a_name_resolving_to_a_denied_address_is_refused_at_pull_time,
    a_redirect_to_a_denied_address_is_refused_before_following_it,
);

/// A server on `db_url` whose pull policy `tweak` sets (loopback denied by default).
async fn server(db_url: &str, tweak: impl FnOnce(&mut koi::config::AutopullSettings)) -> TestApp {
    let mut settings = test_settings(db_url);
    settings.autopull.allow_loopback = false;
    tweak(&mut settings.autopull);
    spawn_with(settings, None).await
}

fn source(url: &str) -> Value {
    json!({"project": "p", "url": url, "schedule": "@hourly", "mappings": [{"indicator": "a", "path": "a"}]})
}

async fn pull(app: &TestApp, id: &Value) -> Value {
    expect_problem(app.post(&format!("/v1/remote/{id}/pull"), &json!({})).await, StatusCode::BAD_GATEWAY).await
}

async fn sources_aimed_at_denied_ranges_are_refused_when_written(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let app = server(&db_url, |a| a.allow_hosts = vec!["127.0.0.2".into()]).await;
    let allowed = source_for(&app, "http://127.0.0.2:9/x", json!({})).await;
    let cases = [
        ("http://10.0.0.1/x", "allow_private"),
        ("http://100.64.0.1/x", "allow_private"),
        ("http://[fd00::1]/x", "allow_private"),
        ("http://169.254.169.254/latest/meta-data", "allow_hosts"),
        ("http://0.0.0.0:8199/", "allow_hosts"),
        ("http://127.0.0.1:9/x", "allow_loopback"),
        ("http://[::1]:9/x", "allow_loopback"),
        ("http://localhost:9/x", "allow_loopback"),
    ];

    for (url, setting) in cases {
        let created =
            expect_problem(app.post("/v1/remote", &source(url)).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        let mut moved = source(url);
        moved["name"] = json!("moved");
        let updated = app.put(&format!("/v1/remote/{}", allowed["id"]), &moved).await;
        let updated = expect_problem(updated, StatusCode::UNPROCESSABLE_ENTITY).await;
        let dry = json!({"url": url, "mappings": [{"indicator": "a", "path": "a"}]});
        let dry = expect_problem(app.post("/v1/remote/test", &dry).await, StatusCode::UNPROCESSABLE_ENTITY).await;

        for problem in [created, updated, dry] {
            assert_eq!(error_fields(&problem), ["url"], "{url}: {problem}");
            assert!(problem["detail"].as_str().unwrap().contains(setting), "{url}: {problem}");
        }
    }
}

async fn a_server_that_denies_loopback_refuses_to_pull_a_stored_loopback_source(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let permissive = server(&db_url, |a| a.allow_loopback = true).await;
    let strict = server(&db_url, |_| {}).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"a": 1}})))
        .mount(&upstream)
        .await;
    let created = source_for(&permissive, &upstream.uri(), json!({})).await;

    let problem = pull(&strict, &created["id"]).await;

    assert!(problem["detail"].as_str().unwrap().contains("127.0.0.1 is a loopback address"), "{problem}");
    let status = expect(strict.get(&format!("/v1/remote/{}", created["id"])).await, StatusCode::OK).await;
    assert!(status["last_error"].as_str().unwrap().contains("allow_loopback"), "{status}");
    assert_eq!(upstream.received_requests().await.unwrap().len(), 0, "no connection was made");
}

async fn a_name_resolving_to_a_denied_address_is_refused_at_pull_time(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let permissive = server(&db_url, |a| a.allow_loopback = true).await;
    let strict = server(&db_url, |_| {}).await;
    let upstream = MockServer::start().await;
    let url = format!("http://localhost:{}/", upstream.address().port());
    let created = source_for(&permissive, &url, json!({})).await;

    let problem = pull(&strict, &created["id"]).await;

    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("localhost resolves to") && detail.contains("allow_loopback"), "{problem}");
    assert_eq!(upstream.received_requests().await.unwrap().len(), 0);
}

async fn a_redirect_to_a_denied_address_is_refused_before_following_it(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let app = server(&db_url, |a| a.allow_hosts = vec!["127.0.0.1".into()]).await;
    let upstream = MockServer::start().await;
    let redirect = |to: &str| ResponseTemplate::new(302).insert_header("Location", to);
    Mock::given(path("/metadata")).respond_with(redirect("http://169.254.169.254/latest")).mount(&upstream).await;
    Mock::given(path("/private")).respond_with(redirect("http://10.0.0.1/")).mount(&upstream).await;
    Mock::given(path("/hop")).respond_with(redirect("/doc")).mount(&upstream).await;
    Mock::given(path("/doc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"a": 7})))
        .mount(&upstream)
        .await;
    app.create_project(crate::helpers::plain_project("p")).await;
    let mut ids = Vec::new();
    for p in ["/metadata", "/private", "/hop"] {
        let body = source(&format!("{}{p}", upstream.uri()));
        ids.push(expect(app.post("/v1/remote", &body).await, StatusCode::CREATED).await["id"].clone());
    }
    let [metadata, private, hop] = [&ids[0], &ids[1], &ids[2]];

    let to_metadata = pull(&app, metadata).await;
    let to_private = pull(&app, private).await;
    let dry = json!({"url": format!("{}/metadata", upstream.uri()), "mappings": [{"indicator": "a", "path": "a"}]});
    let dry = expect_problem(app.post("/v1/remote/test", &dry).await, StatusCode::BAD_GATEWAY).await;
    let followed = expect(app.post(&format!("/v1/remote/{hop}/pull"), &json!({})).await, StatusCode::OK).await;

    for (problem, address) in [(&to_metadata, "169.254.169.254"), (&to_private, "10.0.0.1"), (&dry, "169.254.169.254")]
    {
        assert!(problem["detail"].as_str().unwrap().contains(&format!("{address} is a")), "{problem}");
    }
    assert_eq!(followed["values"], json!({"a": 7.0}), "allowed redirects are still followed");
}
