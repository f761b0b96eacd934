//! Durability: the real binary, killed with SIGKILL, restarted on the same
//! database.

use std::process::Stdio;

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
    let mut server = start_koi(&db_url, port, &[], Stdio::inherit());
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

    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    let mut restarted = start_koi(&db_url, port, &[], Stdio::inherit());
    wait_until_up(&client, &format!("{base}/ready")).await;
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
