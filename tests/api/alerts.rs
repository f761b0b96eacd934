//! Alert rules over the API, and what they send: transitions judged on
//! pushes and by the sweep, delivered to a signed webhook.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use koi::config::{Settings, WebhookSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{
    Backend, TestApp, error_fields, expect, expect_problem, fresh_database, plain_project, spawn_with, test_settings,
};
use crate::on_both_backends;

on_both_backends!(
    rules_are_validated_and_managed,
    a_bad_value_fires_and_a_good_one_resolves_through_a_signed_webhook,
    time_driven_rules_fire_within_a_sweep_of_the_instant,
);

pub const SECRET: &str = "a test secret of some length";

/// A webhook receiver that takes everything.
pub async fn receiver() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/hook")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    server
}

pub fn hook(url: String) -> WebhookSettings {
    WebhookSettings { name: "ops".into(), url, secret: SECRET.into() }
}

/// A server with a webhook at `url` and a fast sweep.
pub async fn alerting_app(backend: Backend, url: String, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.alerts.webhooks = vec![hook(url)];
    settings.alerts.sweep_ms = 250;
    tweak(&mut settings);
    spawn_with(settings, dir).await
}

/// The bodies received so far, each checked for its signature and key.
pub async fn notifications(server: &MockServer) -> Vec<Value> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .map(|r| {
            let body = String::from_utf8(r.body.clone()).expect("UTF-8 body");
            let header = |name: &str| r.headers.get(name).map(|v| v.to_str().unwrap().to_string());
            assert_eq!(header("x-koi-signature"), Some(koi::alerts::signature(SECRET, &body)), "{body}");
            let parsed: Value = serde_json::from_str(&body).expect("JSON body");
            assert_eq!(header("x-koi-idempotency-key").as_deref(), parsed["idempotency_key"].as_str());
            parsed
        })
        .collect()
}

/// When the transition a notification reports happened.
pub fn event_time(n: &Value) -> String {
    n["ends_at"].as_str().or(n["starts_at"].as_str()).unwrap_or_default().to_string()
}

/// Waits (10 s at most) until `n` notifications have arrived.
pub async fn wait_for(server: &MockServer, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = notifications(server).await;
        if got.len() >= n || Instant::now() > deadline {
            assert_eq!(got.len(), n, "notifications: {got:#?}");
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn low_index_rule() -> Value {
    json!({
        "name": "index-low", "kind": "index_below", "threshold": 50, "severity": "critical",
        "labels": {"team": "ops"}, "annotations": {"summary": "{{ .project }} index is {{ .value }}"}
    })
}

async fn rules_are_validated_and_managed(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let app = spawn_with(test_settings(&db_url), dir).await;
    app.create_project(plain_project("p")).await;
    let bad = [
        (json!({"name": "x", "kind": "sometimes"}), "body"),
        (json!({"name": "x", "kind": "index_below"}), "body"),
        (json!({"name": "", "kind": "index_below", "threshold": 1}), "name"),
        (json!({"name": "x", "kind": "indicator_status", "indicator": "zz"}), "indicator"),
        (json!({"name": "x", "kind": "indicator_outside", "indicator": "a"}), "min"),
        (json!({"name": "x", "kind": "coverage_below", "threshold": 2}), "threshold"),
        (json!({"name": "x", "kind": "source_failing", "failures": 3, "source": 99}), "source"),
        (json!({"name": "x", "kind": "no_data", "after_secs": 60, "labels": {"project": "y"}}), "labels.project"),
        (
            json!({"name": "x", "kind": "no_data", "after_secs": 60, "annotations": {"s": "{{ .valeu }}"}}),
            "annotations.s",
        ),
    ];

    for (body, field) in bad {
        let problem =
            expect_problem(app.post("/v1/projects/p/alerts", &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(error_fields(&problem).iter().any(|f| f.starts_with(field)), "{field}: {problem}");
    }
    let created = expect(app.post("/v1/projects/p/alerts", &low_index_rule()).await, StatusCode::CREATED).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!((created["for"].as_u64(), created["enabled"].as_bool()), (Some(0), Some(true)), "{created}");
    assert_eq!(created["kind"], "index_below");
    let mut changed = low_index_rule();
    changed["for"] = json!(30);
    changed["severity"] = json!("info");
    let replaced = expect(app.put(&format!("/v1/projects/p/alerts/{id}"), &changed).await, StatusCode::OK).await;
    assert_eq!((replaced["for"].as_u64(), replaced["severity"].as_str()), (Some(30), Some("info")));
    let listed = expect(app.get("/v1/projects/p/alerts").await, StatusCode::OK).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    expect_problem(app.get("/v1/projects/p/alerts/999").await, StatusCode::NOT_FOUND).await;
    expect_problem(app.post("/v1/projects/nope/alerts", &low_index_rule()).await, StatusCode::NOT_FOUND).await;
    expect_problem(app.get("/v1/alerts?state=resolved").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(app.delete(&format!("/v1/projects/p/alerts/{id}")).await.status(), StatusCode::NO_CONTENT);
    expect_problem(app.delete(&format!("/v1/projects/p/alerts/{id}")).await, StatusCode::NOT_FOUND).await;
}

async fn a_bad_value_fires_and_a_good_one_resolves_through_a_signed_webhook(backend: Backend) {
    let hooks = receiver().await;
    let app = alerting_app(backend, format!("{}/hook", hooks.uri()), |_| {}).await;
    app.create_project(plain_project("p")).await;
    expect(app.post("/v1/projects/p/alerts", &low_index_rule()).await, StatusCode::CREATED).await;

    app.push(json!({"project": "p", "values": {"a": 10, "b": 10}})).await;
    let fired = wait_for(&hooks, 1).await;
    let active = expect(app.get("/v1/alerts?project=p").await, StatusCode::OK).await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    app.push(json!({"project": "p", "values": {"a": 100, "b": 100}})).await;
    let both = wait_for(&hooks, 2).await;
    let history = expect(app.get("/v1/projects/p/alerts/history").await, StatusCode::OK).await;

    let firing = &fired[0];
    assert_eq!((firing["state"].as_str(), firing["value"].as_f64()), (Some("firing"), Some(10.0)), "{firing}");
    assert_eq!(
        firing["labels"],
        json!({"alertname": "index-low", "project": "p", "severity": "critical", "team": "ops"})
    );
    assert_eq!(firing["annotations"]["summary"], "p index is 10");
    assert!(firing["generator_url"].as_str().unwrap().ends_with("/v1/projects/p"), "{firing}");
    assert_eq!(active.as_array().unwrap().len(), 1, "{active}");
    assert_eq!((active[0]["state"].as_str(), active[0]["rule"].as_str()), (Some("firing"), Some("index-low")));
    assert!(
        metrics.contains("koi_alerts_firing{project=\"p\",rule=\"index-low\",severity=\"critical\"} 1"),
        "{metrics}"
    );
    let resolved = &both[1];
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["starts_at"], firing["starts_at"]);
    assert!(resolved["ends_at"].is_string() && resolved["idempotency_key"] != firing["idempotency_key"]);
    let moves: Vec<(&str, &str)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    assert_eq!(moves, [("inactive", "firing"), ("firing", "resolved")]);
    assert_eq!(expect(app.get("/v1/alerts").await, StatusCode::OK).await, json!([]));
}

fn time_of(v: &Value) -> DateTime<Utc> {
    v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).expect("RFC 3339 time").with_timezone(&Utc)
}

/// Staleness, no data and `for` come true with time alone: the sweep
/// (every second here) must notice within a sweep and a second.
async fn time_driven_rules_fire_within_a_sweep_of_the_instant(backend: Backend) {
    let hooks = receiver().await;
    let app = alerting_app(backend, format!("{}/hook", hooks.uri()), |s| s.alerts.sweep_ms = 1000).await;
    let project = json!({"code": "p", "title": "P", "indicators": [
        {"key": "a", "weight": 60, "max_age_secs": 2}, {"key": "b", "weight": 40}
    ]});
    app.create_project(project).await;
    let stale = json!({"name": "a-stale", "kind": "indicator_status", "indicator": "a", "statuses": ["stale"]});
    let quiet = json!({"name": "quiet", "kind": "no_data", "after_secs": 3});
    let held = json!({"name": "held-low", "kind": "index_below", "threshold": 90, "for": 2});
    for rule in [&stale, &quiet, &held] {
        expect(app.post("/v1/projects/p/alerts", rule).await, StatusCode::CREATED).await;
    }

    let pushed = app.push(json!({"project": "p", "values": {"a": 10, "b": 10}})).await;
    let observed = time_of(&pushed["at"]);
    let got = wait_for(&hooks, 3).await;
    let history = expect(app.get("/v1/projects/p/alerts/history?limit=100").await, StatusCode::OK).await;

    let fired_at = |rule: &str| {
        let n = got.iter().find(|n| n["rule"] == rule).unwrap_or_else(|| panic!("{rule} did not fire: {got:#?}"));
        time_of(&n["starts_at"])
    };
    let slack = chrono::TimeDelta::milliseconds(2000);
    for (rule, instant) in [
        ("a-stale", observed + chrono::TimeDelta::seconds(2)),
        ("quiet", observed + chrono::TimeDelta::seconds(3)),
        ("held-low", observed + chrono::TimeDelta::seconds(2)),
    ] {
        let at = fired_at(rule);
        assert!(at >= instant && at - instant <= slack, "{rule} fired at {at}, true from {instant}");
    }
    let pending = history["items"].as_array().unwrap().iter().any(|e| e["rule"] == "held-low" && e["to"] == "pending");
    assert!(pending, "a rule with `for` is pending first: {history}");
}

/// Receivers that every delivery would fail for stop the start, naming
/// the setting to fix.
#[tokio::test]
async fn receivers_that_cannot_work_stop_the_start() {
    let cases = [
        (hook("http://127.0.0.1:9/hook".into()), "allow_loopback"),
        (WebhookSettings { secret: "short".into(), ..hook("http://hooks.example.com/k".into()) }, "secret"),
        (hook("ftp://hooks.example.com/k".into()), "not an http(s) URL"),
    ];
    for (webhook, needle) in cases {
        let (db_url, dir) = fresh_database(Backend::Sqlite).await;
        let mut settings = test_settings(&db_url);
        settings.autopull.allow_loopback = false;
        settings.alerts.webhooks = vec![webhook];
        let refused = koi::app::Application::build(settings).await.err().expect("the start is refused").to_string();
        assert!(refused.contains(needle), "{needle:?} not in {refused:?}");
        drop(dir);
    }
}
