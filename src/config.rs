//! Settings: built-in defaults < `config.toml` (or `--config FILE`) <
//! `KOI__SECTION__KEY` environment variables.

use std::path::Path;

use serde::Deserialize;

use crate::domain::{Retention, parse_period};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub autopull: AutopullSettings,
    pub auth: AuthSettings,
    pub compat: CompatSettings,
    pub alerts: AlertSettings,
    pub retention: RetentionSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    pub address: String,
    pub workers: usize,
    pub max_body_bytes: usize,
    /// Largest import body (`POST /v1/projects/{code}/import`).
    pub max_import_bytes: usize,
    pub max_values_per_push: usize,
    pub max_indicators_per_project: usize,
    pub shutdown_timeout_secs: u64,
    /// On SIGTERM, how long to keep serving with `/ready` at 503 and each
    /// connection closed after its answer, before the listener closes.
    pub drain_secs: u64,
    /// Browser origins allowed to call the API (dashboards); empty: no CORS.
    pub cors_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    /// Also how long a request waits for a pooled connection: while the
    /// database is down, requests fail with 503 after this, not hang.
    pub connect_timeout_secs: u64,
    /// Writer tasks that group-commit ingests (0 counts as 1).
    pub writers: usize,
    /// Most pushes committed in one transaction.
    pub max_batch: usize,
    /// Most stored pushes one transaction recomputes of a project's history
    /// (late values, imports, rescores) or stores of an import; the rest is
    /// done in later ones.
    pub recompute_batch: u64,
    /// Most points the background rollup builder goes through in one
    /// transaction (whole minutes, at least one).
    pub rollup_batch: u64,
    /// How often `koi serve` runs pending recompute jobs, writes the
    /// points of values that turned stale and rolls up new history.
    pub upkeep_tick_ms: u64,
    /// SQLite: how long new points and readings may wait before the
    /// writer adds them to the per-project history indexes, in bulk (it
    /// does sooner once they fill about a page per project).
    pub history_index_ms: u64,
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
    /// Host names, IPs or CIDRs a source may always reach.
    pub allow_hosts: Vec<String>,
    pub allow_loopback: bool,
    pub allow_private: bool,
    /// `koi autopull` serves its own `/metrics` here when set.
    pub metrics_address: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// `None`: required unless the server listens on loopback only.
    pub enabled: Option<bool>,
    /// Requests per second and key; 0 turns the limit off.
    pub rate_limit_per_sec: f64,
    pub rate_burst: u32,
}

/// Alert evaluation and delivery (in `koi serve`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    /// How often every project with rules is evaluated, for conditions
    /// that become true with time alone (staleness, no data, `for`).
    pub sweep_ms: u64,
    /// Alertmanager base URLs; alerts are POSTed to `{url}/api/v2/alerts`.
    pub alertmanager_urls: Vec<String>,
    /// Firing alerts are sent to Alertmanager again this often.
    pub resend_secs: u64,
    /// Base of `generatorURL`; default `http://` + `[server] address`.
    pub public_url: Option<String>,
    /// Per-attempt timeout of a delivery.
    pub delivery_timeout_ms: u64,
    pub webhooks: Vec<WebhookSettings>,
}

/// A webhook receiver: JSON POSTs signed with `secret`.
#[derive(Clone, Deserialize)]
pub struct WebhookSettings {
    pub name: String,
    pub url: String,
    /// HMAC-SHA256 key of `X-KOI-Signature`; never logged.
    pub secret: String,
}

impl std::fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSettings").field("name", &self.name).field("url", &self.url).finish_non_exhaustive()
    }
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            sweep_ms: 5000,
            alertmanager_urls: Vec::new(),
            resend_secs: 60,
            public_url: None,
            delivery_timeout_ms: 5000,
            webhooks: Vec::new(),
        }
    }
}

/// How long history is kept (periods such as `30d`, `2y`; `0` = forever);
/// projects may override them (`PUT /v1/projects/{code}/retention`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// Raw points and observations.
    pub raw: String,
    /// The 1-minute, 1-hour and 1-day rollup tiers.
    pub minute: String,
    pub hour: String,
    pub day: String,
    /// How often the sweep runs.
    pub sweep_ms: u64,
    /// Rows deleted per statement (and transaction).
    pub batch: u64,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            raw: "30d".into(),
            minute: "90d".into(),
            hour: "2y".into(),
            day: "0".into(),
            sweep_ms: 60_000,
            batch: 1000,
        }
    }
}

impl RetentionSettings {
    /// The configured periods; an error names the key to fix.
    pub fn periods(&self) -> Result<Retention, String> {
        let parse = |key: &str, text: &str| parse_period(text).map_err(|e| format!("[retention] {key}: {e}"));
        Ok(Retention {
            raw: parse("raw", &self.raw)?,
            tiers: [parse("minute", &self.minute)?, parse("hour", &self.hour)?, parse("day", &self.day)?],
        })
    }
}

/// The façade for clients of the original KOI.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CompatSettings {
    /// Answer façade errors with their HTTP status instead of 200: the
    /// original's clients only read `message` from a 2xx answer.
    pub http_error_status: bool,
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
            max_import_bytes: 256 * 1024 * 1024,
            max_values_per_push: 10_000,
            max_indicators_per_project: 1000,
            shutdown_timeout_secs: 30,
            drain_secs: 5,
            cors_origins: Vec::new(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://koi.db?mode=rwc".into(),
            max_connections: 16,
            connect_timeout_secs: 3,
            writers: 1,
            max_batch: 1000,
            recompute_batch: 1000,
            rollup_batch: 2_000,
            upkeep_tick_ms: 1000,
            history_index_ms: 2000,
        }
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
            allow_hosts: Vec::new(),
            allow_loopback: false,
            allow_private: false,
            metrics_address: None,
        }
    }
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self { enabled: None, rate_limit_per_sec: 1000.0, rate_burst: 2000 }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { format: "text".into(), level: "info".into() }
    }
}

impl Settings {
    /// Keys are required unless switched off, or left unset on a server
    /// that only loopback clients can reach.
    pub fn auth_enabled(&self) -> bool {
        self.auth.enabled.unwrap_or_else(|| !listens_on_loopback(&self.server.address))
    }

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
                config::Environment::with_prefix("KOI")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("server.cors_origins")
                    .with_list_parse_key("autopull.allow_hosts")
                    .with_list_parse_key("alerts.alertmanager_urls"),
            )
            .build()?
            .try_deserialize()
    }
}

/// `localhost:8199`, `127.0.0.1:8199`, `[::1]:8199`; anything else, such as
/// `0.0.0.0`, may be reached from the network.
fn listens_on_loopback(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_defaults_to_on_unless_the_address_is_loopback() {
        let mut settings = Settings::default();
        for (address, expected) in
            [("127.0.0.1:8199", false), ("[::1]:80", false), ("localhost:1", false), ("0.0.0.0:8199", true)]
        {
            settings.server.address = address.into();
            assert_eq!(settings.auth_enabled(), expected, "{address}");
        }
        settings.auth.enabled = Some(true);
        settings.server.address = "127.0.0.1:8199".into();
        assert!(settings.auth_enabled());
    }
}
