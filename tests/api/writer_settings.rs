//! Settings of the ingest writer's connections that its push rate over
//! many projects depends on (scripts/bench.sh, 1,000 projects): nothing
//! else would notice if they were lost.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tempfile::TempDir;

use crate::helpers::{Backend, fresh_database, test_settings};

async fn texts(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect(sql);
    rows.iter().map(|row| row.try_get_by_index(0).expect("a text column")).collect()
}

/// The writer's pool, and the folder of its SQLite file.
async fn writer(backend: Backend) -> (DatabaseConnection, Option<TempDir>) {
    let (url, dir) = fresh_database(backend).await;
    let settings = test_settings(&url).database;
    let main = koi::store::connect(&settings).await.expect("connects");
    koi::store::migrate(&settings, &main).await.expect("migrates");
    let (writer, _flush) = koi::store::connect_ingest(&settings, &main, 1).await.expect("connects the writer");
    (writer, dir)
}

/// With the bundled SQLite's shared page cache, a commit after a B-tree
/// split in the middle of an index scanned the writer's whole cache
/// (.cargo/config.toml).
#[tokio::test]
async fn sqlite_keeps_a_page_cache_per_connection() {
    let (db, _dir) = writer(Backend::Sqlite).await;
    let options = texts(&db, "PRAGMA compile_options").await;
    assert!(options.iter().any(|o| o.starts_with("THREADSAFE")), "compile options read: {options:?}");
    assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "built with a shared page cache: {options:?}");
    assert_eq!(texts(&db, "SELECT CAST(cache_size AS TEXT) FROM pragma_cache_size").await, ["-2048"]);
}

/// With the default cost of a random page PostgreSQL scanned every project
/// to update the few that a batch locks.
#[tokio::test]
async fn the_postgres_writer_locks_projects_through_their_index() {
    let (db, _dir) = writer(Backend::Postgres).await;
    assert_eq!(texts(&db, "SHOW random_page_cost").await, ["1.1"]);
    assert_eq!(texts(&db, "SHOW synchronous_commit").await, ["off"]);
}
