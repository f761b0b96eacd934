//! Durability: the real binary, killed with SIGKILL, restarted on the same
//! database.

use std::process::{Child, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, expect, free_port, fresh_database, plain_project, start_koi, wait_until_up};
use crate::on_both_backends;

on_both_backends!(acknowledged_data_survives_kill_9_and_restart);

async fn acknowledged_data_survives_kill_9_and_restart(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let server = start_koi(&db_url, port, &[], Stdio::inherit());
    wait_until_up(&client, &format!("{base}/health")).await;
    client.post(format!("{base}/v1/projects")).json(&plain_project("durable")).send().await.unwrap();
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let r = client
            .post(format!("{base}/v1/data"))
            .json(&json!({"project": "durable", "values": {"a": i}}))
            .send()
            .await
            .unwrap();
        acknowledged.push(expect(r, StatusCode::OK).await["value"].clone());
    }

    let mut restarted = kill_9_and_restart(server, &db_url, port, &client).await;
    let history = client.get(format!("{base}/v1/projects/durable/index/history")).send().await.unwrap();
    let latest = client.get(format!("{base}/v1/projects/durable/index")).send().await.unwrap();
    let history = expect(history, StatusCode::OK).await;
    let latest = expect(latest, StatusCode::OK).await;
    restarted.kill().ok();
    restarted.wait().ok();

    let stored: Vec<_> = history["items"].as_array().unwrap().iter().map(|p| p["value"].clone()).collect();
    assert_eq!(stored, acknowledged);
    assert_eq!(latest["value"], json!(19.0 * 0.6));
}

on_both_backends!(a_restarted_writer_resumes_every_project_of_a_batch);

/// After a restart the writer keeps nothing: one batch over several
/// projects reads them all back, each with its own latest values.
async fn a_restarted_writer_resumes_every_project_of_a_batch(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let server = start_koi(&db_url, port, &[], Stdio::inherit());
    wait_until_up(&client, &format!("{base}/health")).await;
    let codes = ["r0", "r1", "r2"];
    for (n, code) in codes.iter().enumerate() {
        client.post(format!("{base}/v1/projects")).json(&plain_project(code)).send().await.unwrap();
        let push = json!({"project": code, "ts": "2026-01-01T00:00:00Z", "values": {"a": 10 * (n + 1), "b": 20}});
        expect(client.post(format!("{base}/v1/data")).json(&push).send().await.unwrap(), StatusCode::OK).await;
    }
    let mut restarted = kill_9_and_restart(server, &db_url, port, &client).await;
    let batch: Vec<_> = codes
        .iter()
        .enumerate()
        .map(|(n, code)| json!({"project": code, "ts": "2026-01-01T00:01:00Z", "values": {"b": 50 + n}}))
        .collect();
    let stored = client.post(format!("{base}/v1/data")).json(&batch).send().await.unwrap();
    let stored = expect(stored, StatusCode::OK).await;
    let mut histories = Vec::new();
    for code in codes {
        let history = client.get(format!("{base}/v1/projects/{code}/index/history")).send().await.unwrap();
        histories.push(expect(history, StatusCode::OK).await);
    }
    restarted.kill().ok();
    restarted.wait().ok();

    let close = |v: &serde_json::Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-9;
    for (n, history) in histories.iter().enumerate() {
        // a from before the restart, b from the batch.
        let a = 10.0 * (n + 1) as f64;
        let expected = a * 0.6 + (50.0 + n as f64) * 0.4;
        assert!(close(&stored[n]["value"], expected), "{}: {} != {expected}", codes[n], stored[n]["value"]);
        let items = history["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}: {history}", codes[n]);
        assert!(close(&items[0]["value"], a * 0.6 + 20.0 * 0.4), "{}: {history}", codes[n]);
        assert!(close(&items[1]["value"], expected), "{}: {history}", codes[n]);
    }
}

/// Kills `server` with SIGKILL and starts it again on the same database
/// and port; returns once the new one is ready.
async fn kill_9_and_restart(mut server: Child, db_url: &str, port: u16, client: &reqwest::Client) -> Child {
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let restarted = start_koi(db_url, port, &[], Stdio::inherit());
    wait_until_up(client, &format!("http://127.0.0.1:{port}/ready")).await;
    restarted
}
