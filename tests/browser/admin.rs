//! The admin pages: a pull source made through the form with a dry run,
//! pulled now, its failures shown; an alert rule made through the form.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::Backend;
use crate::on_both_backends;
use crate::site::{Options, Site};

on_both_backends!(a_source_is_dry_run_saved_and_pulled_from_the_form, an_alert_rule_is_created_from_the_form);

async fn a_source_is_dry_run_saved_and_pulled_from_the_form(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.project_with_history("air", "Air quality", &[]).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/station"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"cpu": 42.5}})))
        .mount(&upstream)
        .await;

    site.browser.goto(&site.url("#/sources/new")).await;
    site.browser.type_into("[data-field=\"project\"]", "air").await;
    site.browser.type_into("[data-field=\"name\"]", "station 12").await;
    site.browser.type_into("[data-field=\"url\"]", &format!("{}/station", upstream.uri())).await;
    site.browser.type_into("[data-field=\"schedule\"]", "@every 1h").await;
    site.browser.type_into("[data-field=\"mappings[0].indicator\"]", "cpu").await;
    site.browser.type_into("[data-field=\"mappings[0].path\"]", "$.data.cpu").await;
    site.browser.click("#dry-run-button").await;
    site.until("the dry run's values", "return document.querySelector('#dry-run').innerText.includes('cpu = 42.5')")
        .await;
    site.browser.click("#save-source").await;
    site.until("the list", "return location.hash === '#/sources' && document.querySelector('table.sources') !== null")
        .await;

    site.browser.click("button.pull-now").await;
    site.until("the pulled values", "return document.querySelector('#pull-outcome')?.innerText.includes('cpu = 42.5')")
        .await;
    let index = site.app.get("/v1/projects/air/index").await;
    assert_eq!(index.status(), reqwest::StatusCode::OK, "the pull stored a point");

    // A source that cannot be reached: pull now says why, the list keeps it.
    let failing = json!({"project": "air", "name": "gone", "url": "http://127.0.0.1:9/x", "schedule": "@every 1h",
                         "mappings": [{"indicator": "cpu", "path": "$.cpu"}]});
    site.call(reqwest::Method::POST, "/v1/remote", &failing).await;
    site.browser.goto(&site.url("#/alerts")).await;
    site.browser.goto(&site.url("#/sources")).await;
    site.until("two sources", "return document.querySelectorAll('table.sources tbody tr').length === 2").await;
    site.browser.click("tr:nth-child(2) button.pull-now").await;
    site.until("the failure", "return document.querySelector('tr.failing td.error')?.innerText.length > 0").await;
    site.screenshot("sources").await;
}

async fn an_alert_rule_is_created_from_the_form(backend: Backend) {
    let site = Site::start(backend, Options::default()).await;
    site.project_with_history("air", "Air quality", &[(80.0, 100.0)]).await;
    site.browser.goto(&site.url("#/alerts")).await;
    site.browser.type_into("#rule-form [data-field=\"name\"]", "air-low").await;
    site.browser.type_into("#rule-form [data-field=\"threshold\"]", "50").await;
    site.browser.click("#create-rule").await;
    site.until("the new rule", "return document.querySelector('#rules ul.rules')?.innerText.includes('air-low')").await;

    site.call(reqwest::Method::POST, "/v1/data", &json!({"project": "air", "values": {"cpu": 10, "latency": 500}}))
        .await;
    site.browser.goto(&site.url("#/p/air")).await;
    site.until("the firing badge", "return document.querySelector('#project-alerts')?.hidden === false").await;
}
