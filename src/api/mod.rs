//! HTTP edge: handlers per resource, problem errors, OpenAPI.

mod alert_gauges;
mod alerts;
mod auth;
mod compat;
mod data;
mod docs;
mod downsample;
mod drain;
mod dry_run;
mod events;
mod extract;
mod health;
mod import;
mod import_lines;
pub(crate) mod index;
mod index_gauges;
pub(crate) mod indicators;
mod jobs;
mod keys;
mod observe;
mod overview;
pub(crate) mod params;
mod preview;
mod problem;
mod projects;
mod remote;
mod responses;
mod retention;
mod whoami;

use std::sync::Arc;

use actix_web::web;
use sea_orm::DatabaseConnection;

use crate::alerts::Alerting;
use crate::config::Settings;
use crate::ingest::Ingestor;
use crate::pull::Fetcher;
use crate::store::ProjectCache;

pub use auth::keys::{create as create_key, validate as validate_key};
pub use auth::{Caller, Gate, authorize};
pub use compat::statuses as facade_statuses;
pub use data::parse_push;
pub use docs::openapi_json;
pub use drain::{Draining, close_connections};
pub use index_gauges::IndexGauges;
pub use observe::observe;
pub use problem::{ApiError, Problem};

/// What every handler may use.
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub fetcher: Fetcher,
    pub ingestor: Ingestor,
    pub gate: Gate,
    /// Project configurations for the read endpoints (index, history,
    /// indicators), at most a second old.
    pub projects: ProjectCache,
    /// Every project's index for `/metrics`, at most a few seconds old.
    pub index_gauges: IndexGauges,
    pub alerting: Arc<Alerting>,
    /// Set on SIGTERM, until the server stops.
    pub draining: Draining,
}

pub fn routes(cfg: &mut web::ServiceConfig, max_body_bytes: usize) {
    cfg.app_data(extract::json_config(max_body_bytes))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .service(health::health)
        .service(health::ready)
        .service(health::metrics)
        .service(projects::create_project)
        .service(projects::list_projects)
        .service(projects::get_project)
        .service(projects::replace_project)
        .service(projects::delete_project)
        .service(projects::upsert_indicator)
        .service(projects::remove_indicator)
        .service(data::push)
        .service(index::latest)
        .service(index::history)
        .service(events::events)
        .service(overview::overview)
        .service(import::import)
        .service(jobs::rescore)
        .service(jobs::get)
        .service(jobs::list)
        .service(preview::preview)
        .service(indicators::states)
        .service(indicators::history)
        .service(retention::get_retention)
        .service(retention::put_retention)
        .service(remote::list)
        .service(remote::create)
        .service(dry_run::test)
        .service(remote::get)
        .service(remote::replace)
        .service(remote::remove)
        .service(remote::pull_now)
        .service(alerts::create)
        .service(alerts::list)
        .service(alerts::history)
        .service(alerts::get)
        .service(alerts::replace)
        .service(alerts::remove)
        .service(alerts::active)
        .service(keys::create)
        .service(keys::list)
        .service(keys::revoke)
        .service(whoami::whoami)
        .configure(docs::routes)
        .configure(compat::routes)
        .default_service(web::to(extract::not_found));
}
