//! Settings: built-in defaults < `config.toml` (or `--config FILE`) <
//! `KOI__SECTION__KEY` environment variables.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub autopull: AutopullSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    pub address: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub max_values_per_push: usize,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AutopullSettings {
    pub enabled: bool,
    pub tick_ms: u64,
    pub concurrency: usize,
    pub timeout_ms: u64,
    pub max_body_bytes: usize,
    pub max_retries: u32,
    pub retry_base_ms: u64,
    pub lease_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    /// `text` for people, `json` for log shippers.
    pub format: String,
    /// A tracing filter such as `info` or `koi=debug,actix_web=info`.
    pub level: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:8199".into(),
            workers: 0,
            max_body_bytes: 1024 * 1024,
            max_values_per_push: 10_000,
            shutdown_timeout_secs: 30,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: "sqlite://koi.db?mode=rwc".into(), max_connections: 16, connect_timeout_secs: 10 }
    }
}

impl Default for AutopullSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            tick_ms: 250,
            concurrency: 32,
            timeout_ms: 5_000,
            max_body_bytes: 1024 * 1024,
            max_retries: 3,
            retry_base_ms: 200,
            lease_secs: 60,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: "text".into(), level: "info".into() }
    }
}

impl Settings {
    /// `file` is required when given explicitly; the default `config.toml`
    /// in the working directory is optional so the binary runs anywhere.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        let source = match file {
            Some(path) => config::File::from(path).required(true),
            None => config::File::with_name("config.toml").required(false),
        };
        config::Config::builder()
            .add_source(source)
            .add_source(
                config::Environment::with_prefix("KOI").prefix_separator("__").separator("__").try_parsing(true),
            )
            .build()?
            .try_deserialize()
    }
}
