//! SIGTERM drains before the server stops: `/ready` answers 503 and every
//! answer closes its connection, while requests are still served, so a
//! proxy moves to other servers without a failed push.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, expect, free_port, fresh_database, plain_project, start_koi, terminate, wait_until_up};
use crate::on_both_backends;

on_both_backends!(sigterm_drains_then_stops);

async fn sigterm_drains_then_stops(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start_koi(&db_url, port, &[("KOI__SERVER__DRAIN_SECS", "3")], Stdio::inherit());
    wait_until_up(&client, &format!("{base}/ready")).await;
    let created = client.post(format!("{base}/v1/projects")).json(&plain_project("drained")).send().await.unwrap();
    expect(created, StatusCode::CREATED).await;
    let before = client.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(before.headers().get("connection").map(|v| v.to_str().unwrap()), None);

    terminate(&server);
    let signalled = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ready = client.get(format!("{base}/ready")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.headers()["connection"], "close");
    let push = client.post(format!("{base}/v1/data")).json(&json!({"project": "drained", "values": {"a": 1}})).send();
    let push = push.await.unwrap();
    assert_eq!(push.headers()["connection"], "close");
    expect(push, StatusCode::OK).await;

    let status = tokio::task::spawn_blocking(move || server.wait().unwrap()).await.unwrap();
    assert!(status.success(), "koi exited with {status}");
    let took = signalled.elapsed();
    assert!(took >= Duration::from_secs(3), "stopped {took:?} after SIGTERM, before its 3 s drain");
    assert!(took < Duration::from_secs(15), "took {took:?} to stop after a 3 s drain");
}
