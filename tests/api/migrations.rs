//! Starting against a shared database: several processes at once migrate
//! it once, and a database a newer KOI migrated is refused.

use std::process::Stdio;
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::{Backend, free_port, fresh_database, start_koi, test_settings, wait_until_up};
use crate::on_both_backends;

on_both_backends!(a_database_migrated_by_a_newer_koi_is_refused);

#[tokio::test]
async fn four_processes_started_at_once_on_an_empty_postgres_database_all_come_up() {
    let (db_url, _dir) = fresh_database(Backend::Postgres).await;
    let client = reqwest::Client::new();
    let ports: Vec<u16> = (0..4).map(|_| free_port()).collect();

    let _servers = Servers(ports.iter().map(|&port| start_koi(&db_url, port, &[], Stdio::null())).collect());
    for port in &ports {
        wait_until_up(&client, &format!("http://127.0.0.1:{port}/ready")).await;
    }
    let db = koi::store::connect(&test_settings(&db_url).database).await.expect("connects");
    let applied = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT count(*), count(DISTINCT version) FROM seaql_migrations",
        ))
        .await
        .expect("reads")
        .expect("a row");

    let (rows, versions): (i64, i64) = (applied.try_get_by_index(0).unwrap(), applied.try_get_by_index(1).unwrap());
    assert_eq!((rows, versions), (Migrator::migrations().len() as i64, Migrator::migrations().len() as i64));
}

/// Kills the servers however the test ends, so a failure leaves none behind.
struct Servers(Vec<std::process::Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for server in &mut self.0 {
            server.kill().ok();
            server.wait().ok();
        }
    }
}

async fn a_database_migrated_by_a_newer_koi_is_refused(backend: Backend) {
    let (db_url, _dir) = fresh_database(backend).await;
    let db = koi::store::connect(&test_settings(&db_url).database).await.expect("connects");
    Migrator::up(&db, None).await.expect("migrates");
    db.execute_unprepared("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_future', 0)")
        .await
        .expect("a migration from the future");
    db.close().await.ok();

    let mut koi = start_koi(&db_url, free_port(), &[], Stdio::piped());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = koi.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "koi kept running against a newer schema");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(koi.stderr.as_mut().unwrap(), &mut stderr).unwrap();

    assert!(!status.success());
    assert!(stderr.contains("migrated by a newer KOI (migration m29991231_000001_future)"), "{stderr}");
}
