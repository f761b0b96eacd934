use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// glibc's allocator showed up at the top of profiles under load (many
/// small, short-lived allocations across threads); mimalloc handles that
/// pattern with far less contention.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use koi::app::Application;
use koi::config::Settings;

/// KOI: Key Operate Index server.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// Configuration file (default: ./config.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (and the pull worker unless [autopull] enabled = false).
    Serve,
    /// Run the pull worker alone (several may share one PostgreSQL database).
    Autopull,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Import a backfill (CSV or NDJSON) into a running server, with progress.
    Import(koi::import_cli::ImportArgs),
    /// Create, list and revoke API keys.
    Key {
        #[command(subcommand)]
        command: koi::keys_cli::KeyCommand,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("cannot load configuration")?;
    koi::telemetry::init(&settings.log);
    match cli.command {
        Command::Serve => Application::build(settings).await?.run().await,
        Command::Autopull => koi::app::run_worker(settings).await,
        Command::Migrate => {
            let db = koi::store::connect(&settings.database).await?;
            koi::store::migrate(&settings.database, &db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Key { command } => koi::keys_cli::run(&settings, command).await,
        Command::Import(args) => koi::import_cli::run(&settings, args).await,
        Command::Openapi => {
            println!("{}", koi::api::openapi_json());
            Ok(())
        }
    }
}
