//! KOI: Key Operate Index server.

pub mod alerts;
pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod import_cli;
pub mod ingest;
pub mod keys_cli;
pub mod metrics;
pub mod pull;
pub mod retention;
pub mod store;
pub mod telemetry;
pub mod ui;
