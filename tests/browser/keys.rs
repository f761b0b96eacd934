//! With keys required: the sign-in, a session-only key, and a read key that
//! is offered no admin action.

use serde_json::json;

use crate::helpers::Backend;
use crate::on_both_backends;
use crate::site::{Options, Site};

on_both_backends!(a_read_key_sees_no_admin_actions);

async fn a_read_key_sees_no_admin_actions(backend: Backend) {
    let site = Site::start(backend, Options { keys: true, ..Options::default() }).await;
    site.project_with_history("air", "Air quality", &[(80.0, 100.0)]).await;
    let created = site.call(reqwest::Method::POST, "/v1/keys", &json!({"name": "wall screen", "role": "read"})).await;
    let read_key = created["secret"].as_str().expect("secret").to_string();

    site.sign_in(&read_key).await;
    site.until(
        "the overview",
        "return document.querySelector('.card[data-code=\"air\"] .card-value')?.dataset.value === '80'",
    )
    .await;
    let storage = site
        .browser
        .run(
            "return [localStorage.length, sessionStorage.getItem('koi.key') !== null, location.href.includes('koi_')]",
            json!([]),
        )
        .await;
    assert_eq!(storage, json!([0, true, false]), "the key is in sessionStorage only, never in the URL");
    assert_no_admin_actions(&site, "the overview").await;
    site.browser.goto(&site.url("#/p/air")).await;
    site.until("the project page", "return document.querySelector('#index-value')?.dataset.value === '80'").await;
    assert_no_admin_actions(&site, "the project page").await;

    site.browser.click("#signout").await;
    site.sign_in(site.admin.as_deref().expect("admin key")).await;
    site.browser.goto(&site.url("#/p/air")).await;
    site.until("the admin's edit button", "return document.querySelector('#edit-project') !== null").await;
}

async fn assert_no_admin_actions(site: &Site, page: &str) {
    let admin = site
        .browser
        .run("return [...document.querySelectorAll('[data-admin]')].map(e => e.textContent)", json!([]))
        .await;
    assert_eq!(admin, json!([]), "{page} offers a read key admin actions");
}
