//! A server with projects in it, a browser pointed at it, and the checks
//! the pages share.

use std::path::PathBuf;
use std::time::Duration;

use koi::domain::Role;
use serde_json::{Value, json};
use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::{Backend, TestApp, fresh_database, spawn_with, test_settings};
use crate::webdriver::Browser;

/// One browser at a time: several Chromiums on a small machine make
/// timing checks (a push shows within 3 s) measure the machine instead.
static ONE_BROWSER: Mutex<()> = Mutex::const_new(());

pub struct Site {
    pub app: TestApp,
    pub browser: Browser,
    /// The admin key when keys are required.
    pub admin: Option<String>,
    _turn: MutexGuard<'static, ()>,
}

pub struct Options {
    pub keys: bool,
    pub lang: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options { keys: false, lang: "en-US" }
    }
}

impl Site {
    pub async fn start(backend: Backend, options: Options) -> Site {
        let turn = ONE_BROWSER.lock().await;
        let (db_url, dir) = fresh_database(backend).await;
        let mut settings = test_settings(&db_url);
        settings.auth.enabled = Some(options.keys);
        let app = spawn_with(settings.clone(), dir).await;
        let admin = if options.keys {
            let db = koi::store::connect(&settings.database).await.expect("connect");
            let (_, secret) = koi::api::create_key(&db, "browser admin", Role::Admin, &[]).await.expect("admin key");
            db.close().await.ok();
            Some(secret)
        } else {
            None
        };
        let browser = Browser::start(options.lang).await;
        Site { app, browser, admin, _turn: turn }
    }

    pub fn url(&self, hash: &str) -> String {
        format!("{}/{hash}", self.app.address)
    }

    /// An API call made as the admin (with its key when keys are on).
    pub async fn call(&self, method: reqwest::Method, path: &str, body: &Value) -> Value {
        let answer = self.app.send_as(self.admin.as_deref(), method, path, Some(body)).await;
        let status = answer.status();
        let text = answer.text().await.expect("body");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Project `code` with two indicators and bands, and `values` (cpu,
    /// latency) pushed one hour apart ending now.
    pub async fn project_with_history(&self, code: &str, title: &str, values: &[(f64, f64)]) {
        let project = json!({
            "code": code, "title": title,
            "indicators": [
                {"key": "cpu", "title": "CPU idle", "unit": "%", "weight": 60, "intervals": [{"start": 0, "end": 100, "score": 100}]},
                {"key": "latency", "title": "Latency", "unit": "ms", "weight": 40, "intervals": [{"start": 500, "end": 0, "score": 100}]},
            ],
        });
        self.call(reqwest::Method::POST, "/v1/projects", &project).await;
        if values.is_empty() {
            return;
        }
        let now = chrono::Utc::now();
        let pushes: Vec<Value> = values
            .iter()
            .enumerate()
            .map(|(i, (cpu, latency))| {
                let at = now - chrono::TimeDelta::hours((values.len() - 1 - i) as i64);
                json!({"project": code, "ts": at.to_rfc3339(), "values": {"cpu": cpu, "latency": latency}})
            })
            .collect();
        self.call(reqwest::Method::POST, "/v1/data", &Value::Array(pushes)).await;
    }

    /// Signs in through the page with `key`, and waits until the page has
    /// moved on.
    pub async fn sign_in(&self, key: &str) {
        self.browser.goto(&self.url("")).await;
        self.browser.type_into("#key", key).await;
        self.browser.click("#signin").await;
        self.until("the sign-in to finish", "return !location.hash.startsWith('#/signin')").await;
    }

    /// Saves a screenshot named `name`.png.
    pub async fn screenshot(&self, name: &str) {
        self.browser.screenshot(&screenshots().join(format!("{name}.png"))).await;
    }

    /// Waits up to 10 s until `script` returns a truthy value, and returns it.
    pub async fn until(&self, what: &str, script: &str) -> Value {
        self.browser.wait_for(what, Duration::from_secs(10), script).await
    }

    /// Waits until the page's visible text contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let needle = serde_json::to_string(text).expect("text");
        self.until(text, &format!("return document.body.innerText.includes({needle})")).await;
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}
