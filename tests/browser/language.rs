//! Chinese for a Chinese browser, switchable to English.

use serde_json::json;

use crate::helpers::Backend;
use crate::on_both_backends;
use crate::site::{Options, Site};

on_both_backends!(a_chinese_browser_gets_chinese_labels_and_may_switch);

async fn a_chinese_browser_gets_chinese_labels_and_may_switch(backend: Backend) {
    let site = Site::start(backend, Options { lang: "zh-CN", ..Options::default() }).await;
    site.project_with_history("air", "空气质量", &[(80.0, 100.0)]).await;
    site.browser.goto(&site.url("#/p/air")).await;
    site.wait_for_text("明细").await;
    for label in ["总览", "历史", "指标", "覆盖率"] {
        site.wait_for_text(label).await;
    }
    site.screenshot("project-zh").await;

    let switch = "const s = document.querySelector('#lang'); s.value = 'en'; s.dispatchEvent(new Event('change'));";
    site.browser.run(switch, json!([])).await;
    site.wait_for_text("Breakdown").await;
    let html_lang = site.browser.run("return document.documentElement.lang", json!([])).await;
    assert_eq!(html_lang, json!("en"));
    site.browser.goto(&site.url("")).await;
    site.until("English after a reload", "return document.querySelector('#nav').innerText.includes('Overview')").await;
}
