//! The project editor: creating through the form, and validation errors
//! next to their fields.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, expect};
use crate::on_both_backends;
use crate::site::{Options, Site};

on_both_backends!(
    a_project_created_through_the_form_is_saved,
    a_bad_interval_shows_its_message_next_to_the_field,
    the_what_if_preview_draws_the_draft_beside_the_current_index,
);

async fn a_project_created_through_the_form_is_saved(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.browser.goto(&site.url("#/new")).await;
    site.browser.type_into("#project-code", "fresh").await;
    site.browser.type_into("#project-title", "Fresh index").await;
    site.browser.type_into("[data-field=\"indicators[0].key\"]", "temp").await;
    site.browser.click("#add-indicator").await;
    site.browser.type_into("[data-field=\"indicators[0].weight\"]", "70").await;
    site.browser.type_into("[data-field=\"indicators[1].key\"]", "hum").await;
    site.browser.type_into("[data-field=\"indicators[1].weight\"]", "30").await;
    let sum = site.browser.run("return document.querySelector('#weight-sum').textContent", json!([])).await;
    assert_eq!(sum, json!("100"), "the weight sum follows the inputs");
    site.browser.click("[data-field=\"indicators[0].intervals\"] .add-band").await;
    site.browser.click("#save").await;

    site.until(
        "the new project's page",
        "return location.hash === '#/p/fresh' && document.querySelector('#index-value') !== null",
    )
    .await;
    let saved = expect(site.app.get("/v1/projects/fresh").await, StatusCode::OK).await;
    assert_eq!(saved["title"], "Fresh index");
    assert_eq!(saved["indicators"][0]["key"], "temp");
    assert_eq!(saved["indicators"][0]["intervals"], json!([{"start": 0.0, "end": 100.0, "score": 100.0}]));
    assert_eq!(saved["indicators"][1]["weight"], 30.0);
}

async fn a_bad_interval_shows_its_message_next_to_the_field(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.project_with_history("air", "Air quality", &[(80.0, 100.0)]).await;
    site.browser.goto(&site.url("#/edit/air")).await;
    let end = "[data-field=\"indicators[0].intervals[0].end\"]";
    site.browser.type_into(end, "0").await;
    site.browser.click("#save").await;

    // The note sits in the band's row, under the field, and names it.
    let placed = format!(
        "const input = document.querySelector('{}'); \
         const note = input.closest('.band').querySelector('.field-error'); \
         return note && note.dataset.for === input.dataset.field && input.classList.contains('invalid') \
           ? note.textContent : ''",
        end.replace('\'', "\\'")
    );
    let message = site.until("the field's error", &placed).await;
    assert!(message.as_str().unwrap().contains("two different values"), "{message}");
    site.screenshot("editor").await;
    let unchanged = expect(site.app.get("/v1/projects/air").await, StatusCode::OK).await;
    assert_eq!(unchanged["indicators"][0]["intervals"][0]["end"], 100.0, "nothing was saved");
}

async fn the_what_if_preview_draws_the_draft_beside_the_current_index(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.project_with_history("air", "Air quality", &[(50.0, 250.0), (70.0, 150.0), (80.0, 100.0), (60.0, 300.0)])
        .await;
    site.browser.goto(&site.url("#/edit/air")).await;
    site.browser.type_into("[data-field=\"indicators[0].weight\"]", "90").await;
    site.browser.click("#preview-button").await;

    let summary = site
        .until(
            "the preview",
            "return document.querySelector('#preview canvas') ? document.querySelector('#preview p').textContent : ''",
        )
        .await;
    assert!(summary.as_str().unwrap().contains("Mean difference"), "{summary}");
    let legend = site.browser.run("return document.querySelector('#preview').innerText", json!([])).await;
    assert!(legend.as_str().unwrap().contains("Draft"), "both series are labelled: {legend}");
    let unchanged = expect(site.app.get("/v1/projects/air").await, StatusCode::OK).await;
    assert_eq!(unchanged["indicators"][0]["weight"], 60.0, "a preview saves nothing");
}
