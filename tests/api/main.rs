//! Integration tests: the real server on a random port, against a fresh
//! SQLite file and a fresh PostgreSQL database per test.

mod helpers;

mod data;
mod docs;
mod history;
mod ops;
mod projects;
mod pull_sources;
mod pull_worker;
mod restart;
mod scoring;
