//! Integration tests: the real server on a random port, against a fresh
//! SQLite file and a fresh PostgreSQL database per test.

mod helpers;

mod alert_delivery;
mod alertmanager;
mod alerts;
mod auth;
mod backfill;
mod bands;
mod compat;
mod compat_errors;
mod compat_history;
mod crash;
mod dashboard;
mod data;
mod docs;
mod drain;
mod history;
mod history_index;
mod limits;
mod migrations;
mod ops;
mod projects;
mod pull_safety;
mod pull_sources;
mod pull_worker;
mod restart;
mod retention;
mod rollups;
mod scoring;
mod timeline;
mod upgrade;
mod writer_settings;
