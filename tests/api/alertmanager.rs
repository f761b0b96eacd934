//! Delivery to a real Prometheus Alertmanager (Debian's
//! prometheus-alertmanager, installed by scripts/deploy-deps.sh): the alert
//! shows in its API with the rule's labels and annotations, then resolves.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::alerts::low_index_rule;
use crate::helpers::{Backend, expect, free_port, fresh_database, plain_project, spawn_with, test_settings};
use crate::on_both_backends;

on_both_backends!(alerts_reach_alertmanager_and_resolve_there);

/// Alertmanager on its own loopback port, storage in a temp dir, no
/// clustering; killed when dropped.
struct Alertmanager {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Alertmanager {
    fn start() -> Self {
        let binary = "/usr/bin/prometheus-alertmanager";
        assert!(
            std::path::Path::new(binary).exists(),
            "{binary} is missing: run scripts/deploy-deps.sh (apt-get install prometheus-alertmanager)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("alertmanager.yml");
        std::fs::write(&config, "route:\n  receiver: nobody\n  group_wait: 1s\nreceivers:\n  - name: nobody\n")
            .expect("write config");
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.path={}", dir.path().display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start alertmanager");
        Alertmanager { child, url: format!("http://127.0.0.1:{port}"), _dir: dir }
    }

    /// The alerts Alertmanager holds as active (resolved ones are left out).
    async fn alerts(&self, client: &reqwest::Client) -> Option<Vec<Value>> {
        let response = client.get(format!("{}/api/v2/alerts", self.url)).send().await.ok()?;
        response.json().await.ok()
    }

    /// Polls (15 s at most) until `wanted` holds for the active alerts.
    async fn until(&self, what: &str, wanted: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let alerts = self.alerts(&client).await;
            if let Some(alerts) = alerts.as_ref().filter(|a| wanted(a)) {
                return alerts.clone();
            }
            assert!(Instant::now() < deadline, "Alertmanager never showed {what}: {alerts:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

async fn alerts_reach_alertmanager_and_resolve_there(backend: Backend) {
    let alertmanager = Alertmanager::start();
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.alerts.alertmanager_urls = vec![alertmanager.url.clone()];
    settings.alerts.sweep_ms = 250;
    settings.alerts.resend_secs = 1;
    let app = spawn_with(settings, dir).await;
    app.create_project(plain_project("p")).await;
    alertmanager.until("its API up", |_| true).await;
    expect(app.post("/v1/projects/p/alerts", &low_index_rule()).await, StatusCode::CREATED).await;

    app.push(json!({"project": "p", "values": {"a": 10, "b": 10}})).await;
    let firing = alertmanager.until("the firing alert", |alerts| alerts.len() == 1).await;
    // Re-sent every second while firing, each time valid for 4 s more.
    let first_end = firing[0]["endsAt"].as_str().unwrap().to_string();
    let later = |alerts: &[Value]| alerts.len() == 1 && alerts[0]["endsAt"].as_str().unwrap() > first_end.as_str();
    alertmanager.until("the alert re-sent with a later endsAt", later).await;
    app.push(json!({"project": "p", "values": {"a": 100, "b": 100}})).await;
    alertmanager.until("no active alert after the resolve", <[Value]>::is_empty).await;

    let alert = &firing[0];
    assert_eq!(
        alert["labels"],
        json!({"alertname": "index-low", "project": "p", "severity": "critical", "team": "ops"}),
        "{alert}"
    );
    assert_eq!(alert["annotations"], json!({"summary": "p index is 10"}));
    assert_eq!(alert["status"]["state"], "active");
    assert!(alert["generatorURL"].as_str().unwrap().ends_with("/v1/projects/p"), "{alert}");
}
