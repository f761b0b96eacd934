//! Durability: the real binary, killed with SIGKILL, restarted on the same
//! database.

use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, expect, free_port, fresh_database, plain_project, wait_until_up};
use crate::on_both_backends;

on_both_backends!(acknowledged_data_survives_kill_9_and_restart);

fn start(db_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_koi"))
        .arg("serve")
        .env("KOI__SERVER__ADDRESS", format!("127.0.0.1:{port}"))
        .env("KOI__DATABASE__URL", db_url)
        .env("KOI__AUTOPULL__ENABLED", "false")
        .env("KOI__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start koi")
}

async fn acknowledged_data_survives_kill_9_and_restart(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start(&db_url, port);
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
    let mut restarted = start(&db_url, port);
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
