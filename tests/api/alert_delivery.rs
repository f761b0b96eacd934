//! Notifications are never lost: a receiver that is down gets them once it
//! is back, a `kill -9` of a server sending one delays it by its lease
//! only, and two servers on one database send each transition once.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::MockServer;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::alerts::{SECRET, alerting_app, event_time, low_index_rule, notifications, receiver, wait_for};
use crate::helpers::{
    Backend, TestApp, expect, free_port, fresh_database, koi_serve, log_file, plain_project, wait_until_serving,
    wait_until_up,
};
use crate::on_both_backends;

on_both_backends!(
    a_receiver_down_for_ten_seconds_gets_every_notification_once_it_is_back,
    a_kill_9_while_sending_only_delays_it
);

/// A receiver on `port` that is not listening yet.
async fn receiver_on(port: u16) -> MockServer {
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("the receiver's port is still free");
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST")).and(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    server
}

async fn fire_and_resolve(app: &TestApp) {
    app.push(json!({"project": "p", "values": {"a": 10, "b": 10}})).await;
    app.push(json!({"project": "p", "values": {"a": 100, "b": 100}})).await;
}

async fn a_receiver_down_for_ten_seconds_gets_every_notification_once_it_is_back(backend: Backend) {
    // Printed if the test fails: what the deliverer did, which decides
    // when the next try is due. Its tasks run on this thread.
    let logs = tracing_subscriber::fmt().with_test_writer().with_env_filter("koi::alerts=info").finish();
    let _logs = tracing::subscriber::set_default(logs);
    let port = free_port();
    let app = alerting_app(backend, format!("http://127.0.0.1:{port}/hook"), |_| {}).await;
    app.create_project(plain_project("p")).await;
    expect(app.post("/v1/projects/p/alerts", &low_index_rule()).await, reqwest::StatusCode::CREATED).await;

    fire_and_resolve(&app).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pending = app.get("/metrics").await.text().await.unwrap();
    let hooks = receiver_on(port).await;
    // Backoff is at most a minute; after 10 s of failures the next try is
    // due within 16 s.
    let mut got = wait_for_long(&hooks, 2).await;
    got.sort_by_key(event_time);

    assert!(pending.contains("koi_alert_deliveries_pending 2"), "{pending}");
    let states: Vec<&str> = got.iter().map(|n| n["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["firing", "resolved"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(notifications(&hooks).await.len(), 2, "each once");
}

async fn wait_for_long(server: &MockServer, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..40 {
        if notifications(server).await.len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    wait_for(server, n).await
}

/// Per-attempt timeout in the tests' config files: a notification held by a
/// killed server is free again this plus ten seconds after it was taken.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(2);

fn config_with_hook(dir: &std::path::Path, url: &str, sweep_ms: u64) -> std::path::PathBuf {
    let file = dir.join("koi.toml");
    let timeout_ms = DELIVERY_TIMEOUT.as_millis();
    let text = format!(
        "[alerts]\nsweep_ms = {sweep_ms}\ndelivery_timeout_ms = {timeout_ms}\n[[alerts.webhooks]]\nname = \"ops\"\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n"
    );
    std::fs::write(&file, text).expect("write config");
    file
}

/// The first server is killed while its attempt is in flight (the receiver
/// took the connection and never answers), so it dies holding the
/// notification's lease: the restarted server sends it once the lease runs
/// out, neither lost nor later than the timeout plus ten seconds.
async fn a_kill_9_while_sending_only_delays_it(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let files = tempfile::tempdir().unwrap();
    let receiver_port = free_port();
    let silent = TcpListener::bind(("127.0.0.1", receiver_port)).expect("the receiver's port is still free");
    silent.set_nonblocking(true).expect("non-blocking listener");
    let config = config_with_hook(files.path(), &format!("http://127.0.0.1:{receiver_port}/hook"), 250);
    let port = free_port();
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let start = |run: &str| {
        let log = files.path().join(format!("koi-{run}.log"));
        let koi = koi_serve(&db_url, port, &[], log_file(&log)).arg("--config").arg(&config).spawn();
        (koi.expect("start koi"), log)
    };
    let app = TestApp::at(&base);

    let (mut koi, log) = start("first");
    wait_until_serving(&client, &format!("{base}/health"), &mut koi, &log).await;
    app.create_project(plain_project("p")).await;
    expect(app.post("/v1/projects/p/alerts", &low_index_rule()).await, reqwest::StatusCode::CREATED).await;
    app.push(json!({"project": "p", "values": {"a": 10, "b": 10}})).await;
    let in_flight = accepted(&silent).await;
    let taken = Instant::now();
    koi.kill().expect("kill -9");
    koi.wait().ok();
    drop((in_flight, silent));
    let hooks = receiver_on(receiver_port).await;
    let (mut koi, log) = start("restarted");
    wait_until_serving(&client, &format!("{base}/health"), &mut koi, &log).await;
    let got = wait_for_long(&hooks, 1).await;
    let late = taken.elapsed();
    let stored = expect(app.get("/v1/alerts").await, reqwest::StatusCode::OK).await;
    koi.kill().ok();
    koi.wait().ok();

    assert_eq!(stored[0]["state"], "firing", "{stored}");
    assert_eq!((got[0]["state"].as_str(), got[0]["rule"].as_str()), (Some("firing"), Some("index-low")));
    // The lease ends 12 s after the attempt began: nobody sends it before,
    // and a restart, a sweep and the deliverer's poll fit in 8 s after.
    let lease = DELIVERY_TIMEOUT + Duration::from_secs(10);
    let window = lease - Duration::from_secs(1)..lease + Duration::from_secs(8);
    assert!(window.contains(&late), "delivered {late:?} after the killed attempt began; its lease ran {lease:?}");
}

/// The first connection made to `listener`, within 20 s.
async fn accepted(listener: &TcpListener) -> std::net::TcpStream {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("KOI never tried to deliver the notification: {e}"),
        }
    }
}

/// Two `koi serve` processes on one PostgreSQL, each judging, sweeping and
/// delivering: every transition reaches the receiver once, whether a push
/// or a sweep (both servers sweep) made it.
#[tokio::test]
async fn two_servers_on_one_postgres_notify_each_transition_once() {
    let hooks = receiver().await;
    let (db_url, _) = fresh_database(Backend::Postgres).await;
    let files = tempfile::tempdir().unwrap();
    let config = config_with_hook(files.path(), &format!("{}/hook", hooks.uri()), 100);
    let client = reqwest::Client::new();
    let mut servers = Vec::new();
    for _ in 0..2 {
        let port = free_port();
        let child =
            koi_serve(&db_url, port, &[], Stdio::null()).arg("--config").arg(&config).spawn().expect("start koi");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_up(&client, &format!("{base}/health")).await;
        servers.push((Killed(child), TestApp::at(&base)));
    }
    let (one, two) = (&servers[0].1, &servers[1].1);
    one.create_project(json!({"code": "p", "title": "P", "indicators": [
        {"key": "a", "weight": 60, "max_age_secs": 1}, {"key": "b", "weight": 40}
    ]}))
    .await;
    expect(one.post("/v1/projects/p/alerts", &low_index_rule()).await, reqwest::StatusCode::CREATED).await;
    let stale = json!({"name": "a-stale", "kind": "indicator_status", "indicator": "a", "statuses": ["stale"]});
    expect(two.post("/v1/projects/p/alerts", &stale).await, reqwest::StatusCode::CREATED).await;

    for round in 0..5 {
        let app = if round % 2 == 0 { one } else { two };
        let a = if round % 2 == 0 { 10 } else { 100 };
        app.push(json!({"project": "p", "values": {"a": a, "b": a}})).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // a-stale fires a second after the last push, when both servers sweep.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut got = wait_for(&hooks, 6).await;
    got.sort_by_key(event_time);

    let mut keys: Vec<&str> = got.iter().map(|n| n["idempotency_key"].as_str().unwrap()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), 6, "one notification per transition: {got:#?}");
    let low: Vec<&str> =
        got.iter().filter(|n| n["rule"] == "index-low").map(|n| n["state"].as_str().unwrap()).collect();
    assert_eq!(low, ["firing", "resolved", "firing", "resolved", "firing"]);
    assert_eq!(got.iter().filter(|n| n["rule"] == "a-stale").count(), 1);
}

/// A child killed (-9) when dropped, however the test ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}
