//! Builds and runs the server: database, listener, HTTP app.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::api::{self, AppState};
use crate::config::Settings;
use crate::store;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects, migrates and binds; the server runs once `run` is awaited.
    /// Binding here (port 0 allowed) lets tests learn the real port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = store::connect(&settings.database).await.context("cannot connect to the database ([database] url)")?;
        store::migrate(&db).await.context("cannot apply database migrations")?;
        let listener = TcpListener::bind(&settings.server.address)
            .with_context(|| format!("cannot listen on {} ([server] address)", settings.server.address))?;
        let port = listener.local_addr()?.port();
        tracing::info!(address = %listener.local_addr()?, "KOI listening");
        let settings = Arc::new(settings);
        let state = web::Data::new(AppState { db, settings: settings.clone() });
        let max_body = settings.server.max_body_bytes;
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .configure(|cfg| api::routes(cfg, max_body))
        })
        .shutdown_timeout(settings.server.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(30));
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.listen(listener)?.run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT, then drains in-flight requests.
    pub async fn run(self) -> anyhow::Result<()> {
        self.server.await.context("HTTP server failed")
    }
}
