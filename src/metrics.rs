//! Prometheus metrics of this process, served at `/metrics`.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

/// One set per process: the API and the worker record into the same
/// registry, and test binaries that start several apps share it harmlessly.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_seconds: HistogramVec,
    pushes: IntCounter,
    pushed_values: IntCounter,
    pulls: IntCounterVec,
    computation_seconds: Histogram,
    batch_pushes: Histogram,
    flush_seconds: Histogram,
    deliveries: IntCounterVec,
    up: Gauge,
}

const LATENCY_BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new_custom(Some("koi".into()), None).expect("static prefix");
        let m = Self {
            http_requests: IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests by method, route pattern and status"),
                &["method", "route", "status"],
            )
            .expect("valid metric"),
            http_seconds: HistogramVec::new(
                HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by route pattern")
                    .buckets(LATENCY_BUCKETS.to_vec()),
                &["method", "route"],
            )
            .expect("valid metric"),
            pushes: IntCounter::new("pushes_total", "Accepted POST /v1/data requests").expect("valid metric"),
            pushed_values: IntCounter::new("pushed_values_total", "Values stored by pushes").expect("valid metric"),
            pulls: IntCounterVec::new(Opts::new("pulls_total", "Source pulls by outcome"), &["outcome"])
                .expect("valid metric"),
            computation_seconds: Histogram::with_opts(
                HistogramOpts::new(
                    "computation_duration_seconds",
                    "Ingest transaction: store values, score, store results",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
            )
            .expect("valid metric"),
            batch_pushes: Histogram::with_opts(
                HistogramOpts::new("ingest_batch_pushes", "Pushes group-committed in one ingest transaction")
                    .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0]),
            )
            .expect("valid metric"),
            flush_seconds: Histogram::with_opts(
                HistogramOpts::new("ingest_flush_duration_seconds", "Making a committed ingest durable (fsync)")
                    .buckets(LATENCY_BUCKETS.to_vec()),
            )
            .expect("valid metric"),
            deliveries: IntCounterVec::new(
                Opts::new("alert_deliveries_total", "Alert notification attempts by receiver and outcome"),
                &["receiver", "outcome"],
            )
            .expect("valid metric"),
            up: Gauge::new("up", "1 while the process runs").expect("valid metric"),
            registry,
        };
        for c in [
            Box::new(m.http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.http_seconds.clone()),
            Box::new(m.pushes.clone()),
            Box::new(m.pushed_values.clone()),
            Box::new(m.pulls.clone()),
            Box::new(m.computation_seconds.clone()),
            Box::new(m.batch_pushes.clone()),
            Box::new(m.flush_seconds.clone()),
            Box::new(m.deliveries.clone()),
            Box::new(m.up.clone()),
        ] {
            m.registry.register(c).expect("metric names are unique");
        }
        m.up.set(1.0);
        m
    }

    /// `route` is the matched pattern (`/v1/projects/{code}`), never the raw
    /// path, so labels stay few.
    pub fn http(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.http_seconds.with_label_values(&[method, route]).observe(elapsed.as_secs_f64());
    }

    pub fn pushed(&self, values: usize) {
        self.pushes.inc();
        self.pushed_values.inc_by(values as u64);
    }

    pub fn pulled(&self, success: bool) {
        self.pulls.with_label_values(&[if success { "success" } else { "failure" }]).inc();
    }

    /// One ingest transaction of `pushes` pushes.
    pub fn committed(&self, pushes: usize, elapsed: Duration) {
        self.computation_seconds.observe(elapsed.as_secs_f64());
        self.batch_pushes.observe(pushes as f64);
    }

    pub fn flushed(&self, elapsed: Duration) {
        self.flush_seconds.observe(elapsed.as_secs_f64());
    }

    /// One attempt to deliver an alert notification to `receiver`.
    pub fn delivered(&self, receiver: &str, success: bool) {
        self.deliveries.with_label_values(&[receiver, if success { "success" } else { "failure" }]).inc();
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out).expect("text encoding cannot fail");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}
