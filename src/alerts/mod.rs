//! Alerting: rules judged after every computation and by a periodic
//! sweep; transitions stored once however many processes judge them;
//! notifications delivered from an outbox to Alertmanager and webhooks.

mod announce;
mod deliver;
mod evaluate;
mod notification;
mod receivers;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Notify, broadcast, watch};
use tokio::task::JoinHandle;

pub use announce::AlertChange;
pub use deliver::signature;
pub use notification::Notification;
pub use receivers::Receivers;

use self::deliver::Deliverer;
use self::evaluate::Evaluator;
use crate::config::Settings;
use crate::ingest::Computed;
use crate::pull::Fetcher;
use crate::store::{self, IndexResult};

/// Transitions kept per `changes` receiver before a slow one lags.
const ANNOUNCED: usize = 256;

/// The alert engine of one process; `koi serve` runs it.
pub struct Alerting {
    evaluator: Evaluator,
    sweep: Duration,
    /// Projects with rules: only their computations are judged at once.
    watched: Mutex<HashSet<String>>,
    /// Woken when notifications were queued.
    wake: Arc<Notify>,
}

impl Alerting {
    /// `address`: where this server listens, the default base of links.
    pub fn new(db: DatabaseConnection, settings: &Settings, address: std::net::SocketAddr) -> Self {
        let public_url = settings.alerts.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
        Self {
            evaluator: Evaluator {
                db,
                receivers: Receivers::new(&settings.alerts),
                public_url,
                resend_secs: settings.alerts.resend_secs.max(1),
                announce: broadcast::channel(ANNOUNCED).0,
            },
            sweep: Duration::from_millis(settings.alerts.sweep_ms.max(100)),
            watched: Mutex::new(HashSet::new()),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Each transition this process stores from now on.
    pub fn changes(&self) -> broadcast::Receiver<Arc<AlertChange>> {
        self.evaluator.announce.subscribe()
    }

    /// Judges project `code` now: after its rules changed, a computation,
    /// or on the sweep. With `point`, on that point rather than on the
    /// values as they stand.
    pub async fn evaluate(&self, code: &str, point: Option<&IndexResult>) {
        self.watched.lock().expect("not poisoned").insert(code.to_string());
        match self.evaluator.evaluate(code, Utc::now(), point).await {
            Ok(0) => {}
            Ok(_) => self.wake.notify_one(),
            Err(e) => tracing::warn!(project = code, error = %e, "alert rules not evaluated; the sweep retries"),
        }
    }

    /// Each point pushes made, in order, so that a value that is bad only
    /// briefly still alerts; points older than one already judged are
    /// corrections of the past (late values), not news.
    async fn judge_points(&self, computed: &Computed, judged: &mut HashMap<String, DateTime<Utc>>) {
        if !self.watched.lock().expect("not poisoned").contains(&computed.project) {
            return;
        }
        if computed.points.is_empty() {
            return self.evaluate(&computed.project, None).await;
        }
        for point in &computed.points {
            let newest = judged.entry(computed.project.clone()).or_insert(point.at);
            if point.at >= *newest {
                *newest = point.at;
                self.evaluate(&computed.project, Some(point)).await;
            }
        }
    }

    /// Starts judging (on computations and every `sweep_ms`) and delivering.
    pub fn spawn(
        self: Arc<Self>,
        computed: broadcast::Receiver<Arc<Computed>>,
        settings: &Settings,
        stop: watch::Receiver<bool>,
    ) -> Vec<JoinHandle<()>> {
        let deliverer = Deliverer {
            db: self.evaluator.db.clone(),
            receivers: self.evaluator.receivers.clone(),
            fetcher: Fetcher::new(&settings.autopull),
            client: reqwest::Client::builder().no_proxy().build().expect("the HTTP client builds with static settings"),
            timeout: Duration::from_millis(settings.alerts.delivery_timeout_ms.max(1)),
            valid_for: TimeDelta::seconds(4 * self.evaluator.resend_secs as i64),
            wake: self.wake.clone(),
        };
        vec![tokio::spawn(deliverer.run(stop.clone())), tokio::spawn(self.judge(computed, stop))]
    }

    async fn judge(self: Arc<Self>, mut computed: broadcast::Receiver<Arc<Computed>>, mut stop: watch::Receiver<bool>) {
        let mut sweep = tokio::time::interval(self.sweep);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut judged = HashMap::new();
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                _ = sweep.tick() => self.sweep_all().await,
                received = computed.recv() => match received {
                    Ok(news) => self.judge_points(&news, &mut judged).await,
                    // Points were missed: judge everything as it stands.
                    Err(RecvError::Lagged(_)) => self.sweep_all().await,
                    Err(RecvError::Closed) => return,
                },
            }
        }
    }

    async fn sweep_all(&self) {
        let codes = match store::projects_with_rules(&self.evaluator.db).await {
            Ok(codes) => codes,
            Err(e) => return tracing::warn!(error = %e, "alert sweep skipped: the database did not answer"),
        };
        *self.watched.lock().expect("not poisoned") = codes.iter().cloned().collect();
        for code in codes {
            self.evaluate(&code, None).await;
        }
    }
}
