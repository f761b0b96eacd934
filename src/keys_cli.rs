//! `koi key …`: API keys from the command line, for the first admin key
//! (before any key exists, the API cannot create one) and for scripts.

use anyhow::{Context, bail};
use clap::Subcommand;

use crate::config::Settings;
use crate::domain::Role;
use crate::{api, store};

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key and print its secret (shown only this once) on stdout.
    Create {
        /// admin, ingest or read.
        #[arg(long)]
        role: Role,
        /// Who or what uses the key.
        #[arg(long)]
        name: String,
        /// Limit the key to this project; repeat for several. Default: every project.
        #[arg(long = "project")]
        projects: Vec<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id; a running server stops accepting it within seconds.
    Revoke { id: i64 },
}

pub async fn run(settings: &Settings, command: KeyCommand) -> anyhow::Result<()> {
    let db = store::connect(&settings.database).await.context("cannot connect to the database ([database] url)")?;
    store::migrate(&settings.database, &db).await.context("cannot apply database migrations")?;
    match command {
        KeyCommand::Create { role, name, projects } => {
            let errors = api::validate_key(&name, &projects);
            if !errors.is_empty() {
                let text: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                bail!("invalid key: {}", text.join("; "));
            }
            let (key, secret) = api::create_key(&db, name.trim(), role, &projects).await?;
            eprintln!(
                "created key {} ({}, role {}); store the secret now, it is not shown again:",
                key.id, key.name, key.role
            );
            println!("{secret}");
        }
        KeyCommand::List => {
            println!("{:<6} {:<8} {:<14} {:<25} {:<25} name (projects)", "id", "role", "prefix", "created", "revoked");
            for key in store::list_keys(&db).await? {
                let revoked = key.revoked_at.map_or_else(|| "-".to_string(), |t| t.to_rfc3339());
                let projects = if key.projects.is_empty() { "all".to_string() } else { key.projects.join(",") };
                println!(
                    "{:<6} {:<8} {:<14} {:<25} {:<25} {} ({projects})",
                    key.id,
                    key.role,
                    key.prefix,
                    key.created_at.to_rfc3339(),
                    revoked,
                    key.name
                );
            }
        }
        KeyCommand::Revoke { id } => {
            if !store::revoke_key(&db, id).await? {
                bail!("no API key {id}; see `koi key list`");
            }
            eprintln!("key {id} revoked");
        }
    }
    db.close().await.ok();
    Ok(())
}
