//! Operations: graceful shutdown, logs, metrics.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{
    Backend, expect, free_port, fresh_database, plain_project, spawn_app, start_koi, terminate, wait_until_up,
};

/// A project `p` and a source with a secret header on a process at `base`.
async fn project_and_source(client: &reqwest::Client, base: &str, upstream: &str) -> Value {
    client.post(format!("{base}/v1/projects")).json(&plain_project("p")).send().await.unwrap();
    let source = json!({
        "project": "p", "url": upstream, "schedule": "@hourly",
        "headers": {"Authorization": "Bearer SUPERSECRET-123"},
        "mappings": [{"indicator": "a", "path": "a"}]
    });
    expect(client.post(format!("{base}/v1/remote")).json(&source).send().await.unwrap(), StatusCode::CREATED).await
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let upstream = MockServer::start().await;
    let slow = ResponseTemplate::new(200).set_body_json(json!({"a": 1})).set_delay(Duration::from_millis(1500));
    Mock::given(method("GET")).respond_with(slow).mount(&upstream).await;
    let (db_url, _dir) = fresh_database(Backend::Sqlite).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut koi = start_koi(&db_url, port, &[], Stdio::inherit());
    wait_until_up(&client, &format!("{base}/health")).await;
    let source = project_and_source(&client, &base, &upstream.uri()).await;

    let in_flight = tokio::spawn({
        let (client, url) = (client.clone(), format!("{base}/v1/remote/{}/pull", source["id"]));
        async move { client.post(url).send().await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    terminate(&koi);
    let started = Instant::now();
    let answered = in_flight.await.unwrap().expect("the in-flight request is answered");
    let status = loop {
        if let Some(status) = koi.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "koi did not exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    assert_eq!(answered.status(), StatusCode::OK);
    assert!(status.success(), "exit status {status}");
    assert!(client.get(format!("{base}/health")).send().await.is_err(), "no longer accepting");
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_never_a_secret() {
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"a": 1})))
        .mount(&upstream)
        .await;
    let (db_url, dir) = fresh_database(Backend::Sqlite).await;
    let log_path = dir.as_ref().unwrap().path().join("koi.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let env = [("KOI__LOG__FORMAT", "json"), ("KOI__LOG__LEVEL", "debug")];
    let mut koi = start_koi(&db_url, port, &env, Stdio::from(log));
    wait_until_up(&client, &format!("{base}/health")).await;

    let source = project_and_source(&client, &base, &upstream.uri()).await;
    let pulled = client.post(format!("{base}/v1/remote/{}/pull", source["id"])).send().await.unwrap();
    let request_id = pulled.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(pulled.status(), StatusCode::OK);
    terminate(&koi);
    koi.wait().unwrap();

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}"))).collect();
    assert!(!text.contains("SUPERSECRET"), "a secret reached the log");
    let of_request: Vec<&Value> = lines.iter().filter(|l| l.to_string().contains(&request_id)).collect();
    assert!(
        of_request.iter().any(|l| l["message"].as_str().is_some_and(|m| m.contains("pulled source"))),
        "the pull's own log line carries the request id {request_id}: {of_request:?}"
    );
}

#[tokio::test]
async fn metrics_count_requests_pushes_and_the_last_index_value() {
    let app = spawn_app(Backend::Sqlite).await;
    app.create_project(plain_project("metered")).await;
    app.push(json!({"project": "metered", "values": {"a": 30, "b": 50}})).await;

    let response = app.get("/metrics").await;
    let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
    let text = response.text().await.unwrap();

    assert!(content_type.starts_with("text/plain"), "{content_type}");
    assert!(text.contains(r#"koi_index_value{project="metered"} 38"#), "{text}");
    assert!(text.contains(r#"koi_http_requests_total{method="POST",route="/v1/data",status="200"}"#), "{text}");
    assert!(text.contains(r#"koi_http_request_duration_seconds_bucket{method="POST",route="/v1/projects""#), "{text}");
    assert!(text.contains("koi_pushes_total") && text.contains("koi_computation_duration_seconds_count"), "{text}");
}

/// Any server of a cluster shows every project's index: it is read from the
/// database, not from what the process computed itself.
#[tokio::test]
async fn every_server_shows_the_index_of_every_project() {
    let (db_url, dir) = crate::helpers::fresh_database(Backend::Postgres).await;
    let one = crate::helpers::spawn_with(crate::helpers::test_settings(&db_url), dir).await;
    let other = crate::helpers::spawn_with(crate::helpers::test_settings(&db_url), None).await;
    one.create_project(plain_project("shared")).await;
    one.push(json!({"project": "shared", "values": {"a": 30}})).await;

    let text = other.get("/metrics").await.text().await.unwrap();

    assert!(text.contains(r#"koi_index_value{project="shared"} 18"#), "{text}");
    assert!(text.contains(r#"koi_index_coverage{project="shared"} 0.5"#), "{text}");
}

#[tokio::test]
async fn a_worker_serves_its_metrics_when_given_an_address() {
    let (db_url, _dir) = crate::helpers::fresh_database(Backend::Sqlite).await;
    let port = crate::helpers::free_port();
    let worker = std::process::Command::new(env!("CARGO_BIN_EXE_koi"))
        .arg("autopull")
        .env("KOI__DATABASE__URL", &db_url)
        .env("KOI__AUTOPULL__METRICS_ADDRESS", format!("127.0.0.1:{port}"))
        .env("KOI__LOG__LEVEL", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start koi autopull");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/metrics");
    crate::helpers::wait_until_up(&client, &url).await;

    let text = client.get(&url).send().await.unwrap().text().await.unwrap();
    crate::helpers::terminate(&worker);
    let status = tokio::task::spawn_blocking(move || {
        let mut worker = worker;
        worker.wait()
    });

    assert!(text.contains("koi_up 1") && text.contains("koi_computation_duration_seconds_count"), "{text}");
    assert!(status.await.unwrap().unwrap().success(), "the worker exits 0 on SIGTERM");
}
