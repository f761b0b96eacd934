//! The dashboard in a real browser: the distribution's Chromium driven over
//! WebDriver against the real server on a free port, on SQLite and on
//! PostgreSQL. Chromium and chromedriver come from scripts/deploy-deps.sh;
//! missing ones fail the tests. Screenshots go to
//! `$CARGO_TARGET_DIR/screenshots/` (default `target/screenshots/`).

// Shared with the API tests; this target uses part of it.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod site;
mod webdriver;

mod admin;
mod editor;
mod keys;
mod language;
mod overview;
mod project_page;
