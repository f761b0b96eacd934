use std::collections::HashSet;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

use super::sqlite_open;
use crate::config::DatabaseSettings;

/// Opens the pool. SQLite gets WAL (readers never block the writer) and
/// `synchronous=FULL`, so a transaction is on disk before we answer 2xx.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    sqlite_open::register()?;
    Database::connect(options(settings, settings.max_connections, Role::Server)).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// Every commit waits for the disk.
    Server,
    /// The ingest writer: commits without waiting for the disk (a `Flush`
    /// follows) and, on SQLite, leaves checkpoints to a background task.
    Ingest,
}

pub(super) fn options(settings: &DatabaseSettings, connections: u32, role: Role) -> ConnectOptions {
    let (sync, autocheckpoint) = match role {
        Role::Server => (SqliteSynchronous::Full, "1000"),
        Role::Ingest => (SqliteSynchronous::Normal, "0"),
    };
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(connections)
        .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .acquire_timeout(Duration::from_secs(settings.connect_timeout_secs))
        .sqlx_logging(false)
        // The ingest writer takes a connection per transaction: a ping first
        // would be a round trip on its critical path. sqlx pings on release
        // anyway, closing a connection that broke.
        .test_before_acquire(role == Role::Server)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(sync)
                // The ingest writer checks no foreign key: every row it
                // writes belongs to a project it has locked, so the project
                // exists until the commit, and it deletes nothing that other
                // rows point at. With the checks on (as with NOT NULL and
                // UNIQUE ones, hence `OR FAIL` in `bulk`), each multi-row
                // INSERT copied every page it touched into a statement
                // journal in case it had to undo itself: a page per project
                // and table with a batch spread over 1,000 projects, about
                // a tenth of their push rate.
                .foreign_keys(role != Role::Ingest)
                .busy_timeout(Duration::from_secs(30))
                // 64 MiB of page cache per reading connection: index pages
                // stay hot. The writer touches the newest pages of each
                // index only, and SQLite scans a connection's whole cache at
                // a commit after a B-tree split (see .cargo/config.toml):
                // with 2 MiB rather than 8 or 64, pushes spread over 1,000
                // projects kept their rate as the database grew.
                .pragma("cache_size", if role == Role::Ingest { "-2048" } else { "-65536" })
                // Rows cross from SQLite's thread to ours through a channel;
                // a deep one lets a page of history go across in a few
                // wake-ups instead of one per 50 rows.
                .row_buffer_size(1024)
                .pragma("wal_autocheckpoint", autocheckpoint)
        });
    options
}

/// Any number: the lock several processes take to migrate one database.
const MIGRATION_LOCK: i64 = 0x4b4f_4901;

/// Applies pending migrations, and refuses a database that a newer KOI
/// migrated. On PostgreSQL this happens under an advisory lock held by a
/// connection of its own, so servers and workers starting at once against
/// one database apply each migration once and all come up.
pub async fn migrate(settings: &DatabaseSettings, db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return migrate_now(db).await;
    }
    let own = Database::connect(options(settings, 1, Role::Server)).await?;
    own.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).await?;
    let migrated = migrate_now(&own).await;
    own.execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).await.ok();
    own.close().await.ok();
    migrated
}

async fn migrate_now(db: &DatabaseConnection) -> Result<(), DbErr> {
    let known: HashSet<String> = Migrator::migrations().iter().map(|m| m.name().to_string()).collect();
    let applied = Migrator::get_migration_models(db).await?;
    if let Some(newer) = applied.iter().find(|m| !known.contains(&m.version)) {
        return Err(DbErr::Custom(format!(
            "the database was migrated by a newer KOI (migration {}); run that version or a newer one \
             against it, or this version against a database of its own",
            newer.version
        )));
    }
    Migrator::up(db, None).await
}
