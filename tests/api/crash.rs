//! Crash safety: `kill -9` under push load, five times; every acknowledged
//! value must be there afterwards, and the latest result must agree with a
//! recomputation from the latest values.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, close, expect, free_port, fresh_database, start_koi, wait_until_up};
use crate::on_both_backends;

on_both_backends!(
    every_acknowledged_push_survives_kill_9_under_load,
    an_import_killed_midway_is_all_or_nothing,
    a_rescore_killed_midway_resumes_after_a_restart,
);

const PRODUCERS: usize = 8;

async fn every_acknowledged_push_survives_kill_9_under_load(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let mut next_value = 0u64;

    for round in 0..5 {
        let mut koi = start_koi(&db_url, port, &[], Stdio::null());
        wait_until_up(&client, &format!("{base}/ready")).await;
        if round == 0 {
            let project =
                json!({"code": "crash", "indicators": [{"key": "a", "weight": 50}, {"key": "b", "weight": 50}]});
            expect(
                client.post(format!("{base}/v1/projects")).json(&project).send().await.unwrap(),
                StatusCode::CREATED,
            )
            .await;
        }
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (client, base, acknowledged) = (client.clone(), base.clone(), acknowledged.clone());
                let first = next_value + p as u64 * 1_000_000;
                tokio::spawn(async move {
                    for v in first.. {
                        let body = json!({"project": "crash", "values": {"a": v, "b": v % 100}});
                        match client.post(format!("{base}/v1/data")).json(&body).send().await {
                            Ok(r) if r.status() == StatusCode::OK => acknowledged.lock().unwrap().insert(v),
                            _ => return,
                        };
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(600)).await;
        koi.kill().unwrap();
        koi.wait().unwrap();
        for producer in producers {
            producer.await.unwrap();
        }
        next_value += PRODUCERS as u64 * 1_000_000;
    }

    let mut koi = start_koi(&db_url, port, &[], Stdio::null());
    wait_until_up(&client, &format!("{base}/ready")).await;
    let stored = stored_values(&client, &base).await;
    let latest =
        expect(client.get(format!("{base}/v1/projects/crash/index")).send().await.unwrap(), StatusCode::OK).await;
    let states =
        expect(client.get(format!("{base}/v1/projects/crash/indicators")).send().await.unwrap(), StatusCode::OK).await;
    koi.kill().ok();
    koi.wait().ok();

    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() > 50, "the load ran: {} acknowledged", acknowledged.len());
    let lost: Vec<&u64> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "{} acknowledged values lost, e.g. {:?}", lost.len(), &lost[..lost.len().min(5)]);
    let recomputed: f64 = states.as_array().unwrap().iter().map(|s| s["contribution"].as_f64().unwrap()).sum();
    assert!(close(latest["value"].as_f64().unwrap(), recomputed), "latest {latest} vs recomputed {recomputed}");
}

const IMPORT_LINES: u64 = 5_000;

/// Imports of 5,000 values each, one after the other, with KOI killed while
/// they run: an acknowledged import is all there, any other all or nothing
/// (its chunks stored before the kill stay hidden).
async fn an_import_killed_midway_is_all_or_nothing(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    // Five chunks per import, so the kill can come between two of them.
    let mut koi = start_koi(&db_url, port, &[("KOI__DATABASE__RECOMPUTE_BATCH", "1000")], Stdio::null());
    wait_until_up(&client, &format!("{base}/ready")).await;
    let project = json!({"code": "crash", "indicators": [{"key": "a", "weight": 100}]});
    expect(client.post(format!("{base}/v1/projects")).json(&project).send().await.unwrap(), StatusCode::CREATED).await;
    // Imports one after the other until the server dies; the kill comes a
    // moment into the fourth.
    let (tell, mut told) = tokio::sync::watch::channel(0usize);
    let importer = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0.. {
                let body: String = (0..IMPORT_LINES)
                    .map(|j| csv_line(1_700_000_000 + i * IMPORT_LINES + j, i * 1_000_000 + j))
                    .collect();
                let sent = client.post(format!("{base}/v1/projects/crash/import?format=csv")).body(body).send().await;
                match sent {
                    Ok(r) if r.status() == StatusCode::OK => acknowledged.push(i),
                    _ => return (acknowledged, i),
                }
                tell.send_replace(acknowledged.len());
            }
            unreachable!("the server is killed")
        })
    };
    told.wait_for(|&n| n >= 3).await.unwrap();
    tokio::time::sleep(Duration::from_millis(rand::random_range(0..40))).await;
    koi.kill().unwrap();
    koi.wait().unwrap();
    let (acknowledged, tried) = importer.await.unwrap();

    let mut koi = start_koi(&db_url, port, &[], Stdio::null());
    wait_until_up(&client, &format!("{base}/ready")).await;
    let stored = stored_values(&client, &base).await;
    koi.kill().ok();
    koi.wait().ok();

    assert!(acknowledged.len() >= 3, "{acknowledged:?}");
    for i in 0..=tried {
        let count = stored.range(i * 1_000_000..i * 1_000_000 + IMPORT_LINES).count() as u64;
        assert!(count == 0 || count == IMPORT_LINES, "import {i} is half there: {count} values");
        if acknowledged.contains(&i) {
            assert_eq!(count, IMPORT_LINES, "acknowledged import {i} lost values");
        }
    }
}

/// A rescore in chunks of ten pushes, KOI killed right after it starts:
/// after a restart the job resumes, and the history is what the new
/// configuration gives, every point at the new revision.
async fn a_rescore_killed_midway_resumes_after_a_restart(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let env = [("KOI__DATABASE__RECOMPUTE_BATCH", "10")];
    let mut koi = start_koi(&db_url, port, &env, Stdio::null());
    wait_until_up(&client, &format!("{base}/ready")).await;
    let project = json!({"code": "crash", "indicators": [{"key": "a", "weight": 100}]});
    expect(client.post(format!("{base}/v1/projects")).json(&project).send().await.unwrap(), StatusCode::CREATED).await;
    let body: String = (0..2000).map(|j| csv_line(1_700_000_000 + j, j)).collect();
    let url = format!("{base}/v1/projects/crash/import?format=csv");
    expect(client.post(url).body(body).send().await.unwrap(), StatusCode::OK).await;
    let halved = json!({"indicators": [{"key": "a", "weight": 50}]});
    let changed =
        expect(client.put(format!("{base}/v1/projects/crash")).json(&halved).send().await.unwrap(), StatusCode::OK)
            .await;
    let job = client.post(format!("{base}/v1/projects/crash/rescore")).json(&json!({})).send().await.unwrap();
    let job = expect(job, StatusCode::ACCEPTED).await;
    koi.kill().unwrap();
    koi.wait().unwrap();

    let mut koi = start_koi(&db_url, port, &env, Stdio::null());
    wait_until_up(&client, &format!("{base}/ready")).await;
    let done = loop {
        let view =
            expect(client.get(format!("{base}/v1/jobs/{}", job["id"])).send().await.unwrap(), StatusCode::OK).await;
        if view["state"] == "done" {
            break view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut points = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{base}/v1/projects/crash/index/history?limit=1000{cursor}");
        let page: Value = expect(client.get(url).send().await.unwrap(), StatusCode::OK).await;
        points.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    koi.kill().ok();
    koi.wait().ok();

    assert_eq!(job["state"], "running", "killed with most of the job to do: {job}");
    assert_eq!(done["progress"], 1.0, "{done}");
    assert_eq!(points.len(), 2000);
    for (j, p) in points.iter().enumerate() {
        assert_eq!((p["value"].as_f64().unwrap(), &p["revision"]), (j as f64 * 0.5, &changed["revision"]), "point {j}");
    }
}

/// One CSV line of indicator `a`.
fn csv_line(secs: u64, value: u64) -> String {
    let ts = chrono::DateTime::from_timestamp(secs as i64, 0).unwrap().to_rfc3339();
    format!("{ts},a,{value}\n")
}

/// Every value of indicator `a`, read page by page.
async fn stored_values(client: &reqwest::Client, base: &str) -> BTreeSet<u64> {
    let mut values = BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let url = format!("{base}/v1/projects/crash/indicators/a/history?limit=1000{cursor}");
        let page: Value = expect(client.get(url).send().await.unwrap(), StatusCode::OK).await;
        values.extend(page["items"].as_array().unwrap().iter().map(|o| o["value"].as_f64().unwrap() as u64));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return values,
        }
    }
}
