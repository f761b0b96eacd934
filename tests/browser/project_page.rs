//! A project's page: live updates and the history chart.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::helpers::Backend;
use crate::on_both_backends;
use crate::site::{Options, Site};

on_both_backends!(a_push_shows_on_the_open_project_page_within_three_seconds, the_history_chart_draws_for_every_preset);

async fn a_push_shows_on_the_open_project_page_within_three_seconds(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.project_with_history("air", "Air quality", &[(50.0, 250.0), (80.0, 100.0)]).await;
    site.browser.goto(&site.url("#/p/air")).await;
    site.until("the page to show 80", "return document.querySelector('#index-value')?.dataset.value === '80'").await;
    site.until("the live stream", "return document.querySelector('#live-mode')?.dataset.mode === 'live'").await;

    // cpu 10 → 6, latency 500 → 0.
    site.call(reqwest::Method::POST, "/v1/data", &json!({"project": "air", "values": {"cpu": 10, "latency": 500}}))
        .await;
    let pushed = Instant::now();
    site.browser
        .wait_for(
            "the pushed value",
            Duration::from_secs(3),
            "return document.querySelector('#index-value').dataset.value === '6'",
        )
        .await;
    assert!(pushed.elapsed() < Duration::from_secs(3), "shown after {:?}", pushed.elapsed());
    let statuses = site
        .browser
        .run("return [...document.querySelectorAll('#breakdown tbody tr')].map(r => r.dataset.key + ':' + r.querySelector('.status').className)", json!([]))
        .await;
    assert_eq!(statuses, json!(["cpu:status status-ok", "latency:status status-ok"]), "the breakdown follows the push");
}

async fn the_history_chart_draws_for_every_preset(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.project_with_history("air", "Air quality", &[]).await;
    push_a_year(&site, "air").await;
    site.browser.goto(&site.url("#/p/air")).await;
    site.until("the page", "return document.querySelector('#history-chart canvas') !== null").await;

    let presets = [("1h", 3_600), ("24h", 86_400), ("7d", 604_800), ("30d", 2_592_000), ("1y", 31_536_000)];
    for (preset, secs) in presets {
        site.browser.click(&format!("button[data-preset=\"{preset}\"]")).await;
        let drawn = format!(
            "const chart = document.querySelector('#history-chart'); \
             return chart.dataset.range === '{preset}' && Number(chart.dataset.points) > 1 && ({LINE_PIXELS}) > 50"
        );
        site.until(&format!("the {preset} chart"), &drawn).await;
        // The custom fields show the window drawn (to the minute).
        let shown = "return (new Date(document.getElementById('range-to').value) - \
                     new Date(document.getElementById('range-from').value)) / 1000";
        let span = site.browser.run(shown, json!([])).await;
        assert!((span.as_f64().unwrap() - secs as f64).abs() <= 60.0, "{preset}: the custom fields span {span} s");
    }
    site.browser.click("button[data-preset=\"7d\"]").await;
    site.until("indicator charts", "return document.querySelectorAll('.indicator-chart canvas').length === 2").await;
    site.screenshot("project").await;
}

/// Pixels of the series' colour (#2563eb) on the history chart's canvas.
const LINE_PIXELS: &str = "(() => { const c = document.querySelector('#history-chart canvas'); \
     const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; \
     for (let i = 0; i < d.length; i += 4) if (d[i] === 37 && d[i + 1] === 99 && d[i + 2] === 235) n++; return n; })()";

/// A value a minute for the last hour, an hour for two days, a day for a
/// year, so every preset has points to draw.
async fn push_a_year(site: &Site, code: &str) {
    let now = Utc::now();
    let minutes = (1..60).map(TimeDelta::minutes);
    let hours = (1..48).map(TimeDelta::hours);
    let days = (2..365).map(TimeDelta::days);
    let mut times: Vec<_> = minutes.chain(hours).chain(days).map(|ago| now - ago).collect();
    // Oldest first: each push then extends the history instead of
    // recomputing what follows it.
    times.sort();
    for chunk in times.chunks(200) {
        let pushes: Vec<Value> = chunk
            .iter()
            .map(|at| {
                let wave = (at.timestamp() as f64 / 86_400.0).sin();
                json!({"project": code, "ts": at.to_rfc3339(), "values": {"cpu": 60.0 + 30.0 * wave, "latency": 200.0 - 100.0 * wave}})
            })
            .collect();
        site.call(reqwest::Method::POST, "/v1/data", &Value::Array(pushes)).await;
    }
}
