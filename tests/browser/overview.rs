//! The overview: a card per project with its value.

use serde_json::json;

use crate::helpers::Backend;
use crate::on_both_backends;
use crate::site::{Options, Site};

on_both_backends!(the_overview_lists_projects_with_their_values);

async fn the_overview_lists_projects_with_their_values(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    // cpu 80 of 0→100 scores 0.8×100×60% = 48; latency 100 on the 500→0
    // band scores 0.8×100×40% = 32: 80 in all.
    let air = [(50.0, 250.0), (55.0, 300.0), (62.0, 220.0), (58.0, 180.0), (70.0, 150.0), (76.0, 120.0), (80.0, 100.0)];
    site.project_with_history("air", "Air quality", &air).await;
    site.project_with_history("water", "Water plant", &[(60.0, 100.0), (45.0, 200.0), (30.0, 300.0), (20.0, 400.0)])
        .await;
    let grid = [(90.0, 80.0), (60.0, 200.0), (70.0, 160.0), (95.0, 50.0), (88.0, 90.0), (97.0, 40.0)];
    site.project_with_history("grid", "Power grid", &grid).await;

    site.browser.goto(&site.url("")).await;
    site.until(
        "three cards with values",
        "return document.querySelectorAll('.card-value[data-value]:not([data-value=\"\"])').length === 3",
    )
    .await;

    let cards = site
        .browser
        .run(
            "return [...document.querySelectorAll('.card')].map(c => [c.dataset.code, c.querySelector('.card-title').textContent, Number(c.querySelector('.card-value').dataset.value)])",
            json!([]),
        )
        .await;
    let cards: Vec<(String, String, f64)> = serde_json::from_value(cards).expect("cards");
    let expected = [("air", "Air quality", 80.0), ("grid", "Power grid", 95.0), ("water", "Water plant", 20.0)];
    assert_eq!(cards.len(), expected.len(), "{cards:?}");
    for ((code, title, value), (want_code, want_title, want_value)) in cards.iter().zip(expected) {
        assert_eq!((code.as_str(), title.as_str()), (want_code, want_title), "cards in code order: {cards:?}");
        assert!((value - want_value).abs() < 1e-6, "{code} shows {value}, expected {want_value}");
    }
    site.browser.type_into("#search", "wat").await;
    let shown =
        site.browser.run("return [...document.querySelectorAll('.card')].map(c => c.dataset.code)", json!([])).await;
    assert_eq!(shown, json!(["water"]), "search narrows the cards");
    site.browser.type_into("#search", "").await;
    site.until("sparklines", SPARKLINES_DRAWN).await;
    site.screenshot("overview").await;
}

/// Every card's sparkline canvas has ink.
const SPARKLINES_DRAWN: &str = "return [...document.querySelectorAll('.card canvas')].every(c => \
     c.width > 0 && c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0))";
