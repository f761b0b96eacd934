//! Scorer cost per indicator: `scripts/bench.sh` turns these timings into
//! nanoseconds per indicator for bench/results.md.

use std::collections::HashMap;
use std::hint::black_box;

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use koi::domain::{IndicatorSpec, Interval, Latest, MissingPolicy, score};

/// `n` indicators, each with `bands` equal intervals over [0, 100), and a
/// latest value for each that lands in a different band.
fn project(n: usize, bands: usize) -> (Vec<IndicatorSpec>, HashMap<String, Latest>) {
    let width = 100.0 / bands.max(1) as f64;
    let indicators: Vec<IndicatorSpec> = (0..n)
        .map(|i| IndicatorSpec {
            key: format!("k{i}"),
            title: String::new(),
            unit: String::new(),
            weight: 100.0 / n as f64,
            intervals: (0..bands)
                .map(|b| Interval { start: b as f64 * width, end: (b + 1) as f64 * width, score: 10.0 * b as f64 })
                .collect(),
            max_age_secs: Some(3600),
        })
        .collect();
    let now = Utc::now();
    let latest = indicators
        .iter()
        .enumerate()
        .map(|(i, ind)| (ind.key.clone(), Latest { value: (i * 37 % 100) as f64, observed_at: now }))
        .collect();
    (indicators, latest)
}

fn scorer(c: &mut Criterion) {
    let mut group = c.benchmark_group("score");
    for (n, bands) in [(10, 0), (10, 4), (100, 4), (1000, 4), (100, 32)] {
        let (indicators, latest) = project(n, bands);
        let now = Utc::now();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new(format!("{bands}_intervals"), n), &n, |b, _| {
            b.iter(|| score(black_box(&indicators), MissingPolicy::Zero, black_box(&latest), now))
        });
    }
    group.finish();
}

criterion_group!(benches, scorer);
criterion_main!(benches);
