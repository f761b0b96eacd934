//! The autopull worker: schedules, leases, several workers on one database.

use std::time::Duration;

use koi::config::AutopullSettings;
use koi::ingest::Ingestor;
use koi::pull::Worker;
use reqwest::StatusCode;
use serde_json::json;
use tokio::task::JoinSet;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Backend, expect, fresh_database, plain_project, spawn_with, test_settings};
use crate::on_both_backends;
use crate::pull_sources::source_for;

on_both_backends!(
    scheduled_pulls_land_observations_and_results,
    two_workers_claim_a_due_source_exactly_once_per_tick,
    a_crashed_workers_lease_expires_and_another_takes_over,
    a_worker_with_a_backlog_of_failing_sources_still_stops_promptly,
);

async fn upstream() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"a": 30, "b": 50}})))
        .mount(&server)
        .await;
    server
}

fn worker_settings(lease_secs: u64) -> AutopullSettings {
    // The sources are wiremock servers on 127.0.0.1.
    AutopullSettings { tick_ms: 50, lease_secs, allow_loopback: true, ..AutopullSettings::default() }
}

async fn scheduled_pulls_land_observations_and_results(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.autopull = worker_settings(60);
    settings.autopull.enabled = true;
    let app = spawn_with(settings, dir).await;
    let upstream = upstream().await;

    source_for(&app, &upstream.uri(), json!({"schedule": "* * * * * *"})).await;
    tokio::time::sleep(Duration::from_millis(2600)).await;

    let pulls = upstream.received_requests().await.unwrap().len();
    assert!((2..=3).contains(&pulls), "every-second schedule pulled {pulls} times in 2.6 s");
    let latest = expect(app.get("/v1/projects/p/index").await, StatusCode::OK).await;
    assert_eq!(latest["value"], 38.0);
    assert_eq!(app.result_count("p").await, pulls);
}

async fn two_workers_claim_a_due_source_exactly_once_per_tick(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let app = spawn_with(test_settings(&db_url), dir).await;
    let upstream = upstream().await;
    source_for(&app, &upstream.uri(), json!({"schedule": "@every 1s"})).await;
    let db = koi::store::connect(&test_settings(&db_url).database).await.unwrap();
    let (first, second) = (
        Worker::new(
            db.clone(),
            Ingestor::start(&db, &test_settings(&db_url).database).await.unwrap(),
            &worker_settings(60),
        ),
        Worker::new(
            db.clone(),
            Ingestor::start(&db, &test_settings(&db_url).database).await.unwrap(),
            &worker_settings(60),
        ),
    );

    let mut claims = Vec::new();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1050)).await;
        let (mut pulls_a, mut pulls_b) = (JoinSet::new(), JoinSet::new());
        let (a, b) = tokio::join!(first.tick(&mut pulls_a), second.tick(&mut pulls_b));
        claims.push(a.unwrap() + b.unwrap());
        pulls_a.join_all().await;
        pulls_b.join_all().await;
    }

    assert_eq!(claims, [1, 1, 1]);
    assert_eq!(upstream.received_requests().await.unwrap().len(), 3, "one pull per tick");
    assert_eq!(app.result_count("p").await, 3);
}

async fn a_crashed_workers_lease_expires_and_another_takes_over(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let app = spawn_with(test_settings(&db_url), dir).await;
    let upstream = upstream().await;
    source_for(&app, &upstream.uri(), json!({"schedule": "@every 1s"})).await;
    let db = koi::store::connect(&test_settings(&db_url).database).await.unwrap();
    let crashed = Worker::new(
        db.clone(),
        Ingestor::start(&db, &test_settings(&db_url).database).await.unwrap(),
        &worker_settings(2),
    );
    let survivor = Worker::new(
        db.clone(),
        Ingestor::start(&db, &test_settings(&db_url).database).await.unwrap(),
        &worker_settings(2),
    );

    tokio::time::sleep(Duration::from_millis(1050)).await;
    let taken = crashed.claim_due().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let while_leased = survivor.claim_due().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let after_expiry = survivor.claim_due().await.unwrap();

    assert_eq!((taken.len(), while_leased.len(), after_expiry.len()), (1, 0, 1));
}

async fn a_worker_with_a_backlog_of_failing_sources_still_stops_promptly(backend: Backend) {
    let (db_url, dir) = fresh_database(backend).await;
    let app = spawn_with(test_settings(&db_url), dir).await;
    app.create_project(plain_project("p")).await;
    // Nothing listens on port 9: every pull fails after its retries, so
    // every source stays due, every second, for good.
    for n in 0..40 {
        let source = json!({"project": "p", "name": format!("s{n}"), "url": "http://127.0.0.1:9/", "schedule": "* * * * * *",
            "mappings": [{"indicator": "a", "path": "a"}]});
        expect(app.post("/v1/remote", &source).await, StatusCode::CREATED).await;
    }
    let db = koi::store::connect(&test_settings(&db_url).database).await.unwrap();
    let settings = AutopullSettings { concurrency: 4, ..worker_settings(60) };
    let worker =
        Worker::new(db.clone(), Ingestor::start(&db, &test_settings(&db_url).database).await.unwrap(), &settings);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn(worker.run(stopped, Duration::from_secs(5)));

    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.send_replace(true);
    let stopped_in_time = tokio::time::timeout(Duration::from_secs(8), running).await;

    assert!(stopped_in_time.is_ok(), "the worker kept ticking after shutdown");
}
