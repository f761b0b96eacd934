//! The pull side: schedules, fetching, extraction and the worker that
//! claims due sources and feeds what it pulls through `ingest`.

mod extract;
mod fetch;
mod guard;
mod run;
mod schedule;
mod spec;
mod worker;

pub use extract::{Mapping, dot_path, extract, normalize_path};
pub use fetch::{FetchError, Fetcher, Request};
pub use run::{PullOutcome, pull_source, request_of};
pub use schedule::Schedule;
pub use spec::{REDACTED, SourceSpec, validate_request};
pub use worker::Worker;
