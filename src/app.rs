//! Builds and runs the server: database, listener, HTTP app, pull worker.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, http, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tracing_actix_web::TracingLogger;

use crate::alerts::{Alerting, Receivers};
use crate::api::{self, AppState};
use crate::config::Settings;
use crate::ingest::{Ingestor, upkeep};
use crate::metrics::METRICS;
use crate::pull::{Fetcher, Worker};
use crate::retention;
use crate::store::{self, ProjectCache};
use crate::ui;

pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    ingestor: Ingestor,
    settings: Arc<Settings>,
    alerting: Arc<Alerting>,
    draining: api::Draining,
}

impl Application {
    /// Connects, migrates and binds; the server runs once `run` is awaited.
    /// Binding here (port 0 allowed) lets tests learn the real port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = open_database(&settings).await?;
        let listener = TcpListener::bind(&settings.server.address)
            .with_context(|| format!("cannot listen on {} ([server] address)", settings.server.address))?;
        let port = listener.local_addr()?.port();
        tracing::info!(address = %listener.local_addr()?, "KOI listening");
        if !settings.auth_enabled() {
            tracing::warn!(
                "API keys are not required ([auth] enabled = false, or unset on a loopback address): \
                 anyone who can reach this port may change and read every index"
            );
        }
        settings.retention.periods().map_err(anyhow::Error::msg)?;
        let fetcher = Fetcher::new(&settings.autopull);
        check_receivers(&settings, &fetcher).await?;
        let settings = Arc::new(settings);
        let ingestor = Ingestor::start(&db, &settings.database).await?;
        let alerting = Arc::new(Alerting::new(db.clone(), &settings, listener.local_addr()?));
        let draining = api::Draining::default();
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: settings.clone(),
            fetcher,
            ingestor: ingestor.clone(),
            projects: ProjectCache::new(Duration::from_secs(1)),
            index_gauges: api::IndexGauges::new(Duration::from_secs(2)),
            gate: api::Gate::new(&settings),
            alerting: alerting.clone(),
            draining: draining.clone(),
        });
        let max_body = settings.server.max_body_bytes;
        let origins = settings.server.cors_origins.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(api::authorize))
                .wrap_fn(api::observe)
                // Outside `observe`: metrics count façade errors by their
                // real status even when they are sent as 200.
                .wrap(from_fn(api::facade_statuses))
                // Outside the key check: a browser's preflight carries no key.
                .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
                .wrap(TracingLogger::default())
                .wrap(from_fn(api::close_connections))
                .app_data(state.clone())
                .configure(|cfg| api::routes(cfg, max_body))
                .configure(ui::routes)
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(30))
        .disable_signals();
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Self { port, server, db, ingestor, settings, alerting, draining })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The writers' handle, for driving background tasks (such as the
    /// rollup builder) directly.
    pub fn ingestor(&self) -> Ingestor {
        self.ingestor.clone()
    }

    /// Serves until SIGTERM/SIGINT (see `stop_on_signal`), then stops the
    /// in-process pull worker and lets its pulls finish.
    pub async fn run(self) -> anyhow::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let worker = self.settings.autopull.enabled.then(|| {
            let drain = Duration::from_secs(self.settings.server.shutdown_timeout_secs);
            let worker = Worker::new(self.db.clone(), self.ingestor.clone(), &self.settings.autopull);
            tokio::spawn(worker.run(stopped, drain))
        });
        let tick = Duration::from_millis(self.settings.database.upkeep_tick_ms.max(10));
        let upkeep = tokio::spawn(upkeep::run(self.db.clone(), self.ingestor.clone(), tick, stop.subscribe()));
        let alerting = self.alerting.spawn(self.ingestor.computed(), &self.settings, stop.subscribe());
        let kept = &self.settings.retention;
        let every = Duration::from_millis(kept.sweep_ms.max(10));
        let periods = kept.periods().map_err(anyhow::Error::msg)?;
        let sweep = tokio::spawn(retention::run(self.db.clone(), periods, kept.batch, every, stop.subscribe()));
        let drain = Duration::from_secs(self.settings.server.drain_secs);
        let signals = tokio::spawn(stop_on_signal(self.server.handle(), self.draining.clone(), drain));
        let served = self.server.await.context("HTTP server failed");
        signals.abort();
        stop.send_replace(true);
        for task in alerting {
            task.await.ok();
        }
        if let Some(worker) = worker {
            worker.await.ok();
        }
        upkeep.await.ok();
        sweep.await.ok();
        self.db.close().await.ok();
        tracing::info!("KOI stopped");
        served
    }
}

/// Receivers every delivery would fail for stop the start, with the
/// setting to fix: better than notifications piling up unseen.
async fn check_receivers(settings: &Settings, fetcher: &Fetcher) -> anyhow::Result<()> {
    let mut problems = Receivers::new(&settings.alerts).problems();
    for hook in &settings.alerts.webhooks {
        if let Err(denied) = fetcher.vet(&hook.url).await {
            problems.push(format!("[[alerts.webhooks]] {:?}: {}", hook.name, denied.0));
        }
    }
    if problems.is_empty() { Ok(()) } else { anyhow::bail!("invalid alert receivers: {}", problems.join("; ")) }
}

/// Lets dashboards on `origins` call the API from a browser, with a key.
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE])
        .allowed_header("x-api-key")
        .expose_headers(["x-request-id", "retry-after"])
        .max_age(3600)
}

/// The pull worker alone (`koi autopull`), until SIGTERM/SIGINT.
pub async fn run_worker(settings: Settings) -> anyhow::Result<()> {
    let db = open_database(&settings).await?;
    let (stop, stopped) = watch::channel(false);
    let drain = Duration::from_secs(settings.server.shutdown_timeout_secs);
    let ingestor = Ingestor::start(&db, &settings.database).await?;
    let worker = tokio::spawn(Worker::new(db.clone(), ingestor, &settings.autopull).run(stopped, drain));
    let metrics = match &settings.autopull.metrics_address {
        Some(address) => Some(metrics_server(address)?),
        None => None,
    };
    shutdown_signal().await;
    if let Some(metrics) = &metrics {
        metrics.stop(true).await;
    }
    stop.send_replace(true);
    worker.await.ok();
    db.close().await.ok();
    tracing::info!("pull worker stopped");
    Ok(())
}

/// The worker's own `/metrics`, on `address`.
fn metrics_server(address: &str) -> anyhow::Result<actix_web::dev::ServerHandle> {
    let serve =
        || async { actix_web::HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(METRICS.render()) };
    let server = HttpServer::new(move || App::new().route("/metrics", web::get().to(serve)))
        .workers(1)
        .disable_signals()
        .bind(address)
        .with_context(|| format!("cannot listen on {address} ([autopull] metrics_address)"))?
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    tracing::info!(%address, "worker metrics at /metrics");
    Ok(handle)
}

async fn open_database(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = store::connect(&settings.database).await.context("cannot connect to the database ([database] url)")?;
    store::migrate(&settings.database, &db).await.context("cannot apply database migrations")?;
    Ok(db)
}

/// SIGTERM (a service manager, a rolling upgrade) drains first for `drain`
/// (see `api::Draining`), then closes the listener and lets requests in
/// flight finish. SIGINT (Ctrl-C at a terminal), or a second signal, skips
/// the drain.
async fn stop_on_signal(server: ServerHandle, draining: api::Draining, drain: Duration) {
    if shutdown_signal().await && !drain.is_zero() {
        draining.start();
        tracing::info!(secs = drain.as_secs(), "stopping: draining connections first ([server] drain_secs)");
        tokio::select! {
            _ = tokio::time::sleep(drain) => {}
            _ = shutdown_signal() => {}
        }
    }
    server.stop(true).await;
}

/// Waits for SIGTERM (true) or SIGINT (false).
async fn shutdown_signal() -> bool {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => true,
        _ = tokio::signal::ctrl_c() => false,
    }
}
