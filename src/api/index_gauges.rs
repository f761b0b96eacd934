//! `koi_index_value` and `koi_index_coverage` of every project, read from
//! the database so that every server shows the same (Prometheus may scrape
//! any of them), and cached briefly so scrapes cost one query per period.

use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::Mutex;

use crate::store;

pub struct IndexGauges {
    ttl: Duration,
    cached: Mutex<Option<(Instant, Arc<String>)>>,
}

impl IndexGauges {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, cached: Mutex::new(None) }
    }

    /// The gauges in the Prometheus text format; concurrent scrapes share
    /// one query.
    pub async fn render(&self, db: &DatabaseConnection) -> Result<Arc<String>, DbErr> {
        let mut cached = self.cached.lock().await;
        if let Some((at, text)) = cached.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(text.clone());
        }
        let points = store::newest_points(db).await?;
        let mut text = String::with_capacity(64 * points.len() + 256);
        for (name, help, field) in [
            ("koi_index_value", "Newest index value per project (from the database)", 0),
            ("koi_index_coverage", "Share of indicators scoring in the newest point, per project", 1),
        ] {
            writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge").ok();
            for p in &points {
                // Codes are slugs: nothing to escape.
                let value = if field == 0 { p.value } else { p.coverage };
                writeln!(text, "{name}{{project=\"{}\"}} {value}", p.project).ok();
            }
        }
        let text = Arc::new(text);
        *cached = Some((Instant::now(), text.clone()));
        Ok(text)
    }
}
