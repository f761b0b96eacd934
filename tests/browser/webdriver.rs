//! A WebDriver client in plain JSON over HTTP (the W3C endpoints), driving
//! the distribution's Chromium through chromedriver. A missing browser or
//! driver fails the test: the dashboard would be untested otherwise.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::free_port;

const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    driver: Child,
    _profile: TempDir,
}

fn require(path: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{} is missing: run scripts/deploy-deps.sh (apt-get install {package})", path.display());
    path
}

impl Browser {
    /// Headless Chromium with the UI language `lang` (e.g. `en-US`).
    pub async fn start(lang: &str) -> Browser {
        require(CHROMIUM, "chromium");
        let chromedriver = require("/usr/bin/chromedriver", "chromium-driver");
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ready(&http, &base).await {
            assert!(Instant::now() < deadline, "chromedriver did not start on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            &format!("--lang={lang}"),
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args, "prefs": {"intl.accept_languages": lang}},
        }}});
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await
            .expect("POST /session")
            .json()
            .await
            .expect("session JSON");
        let id = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}"));
        Browser { http, session: format!("{base}/session/{id}"), driver, _profile: profile }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.expect("WebDriver call").json().await.expect("WebDriver JSON");
        if answer["value"]["error"].is_string() {
            panic!("WebDriver {path} failed: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and
    /// returns its value.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Waits until `script` returns a truthy value, and returns it.
    pub async fn wait_for(&self, what: &str, timeout: Duration, script: &str) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.run(script, json!([])).await;
            if !matches!(value, Value::Null | Value::Bool(false)) && value != json!("") && value != json!(0) {
                return value;
            }
            if Instant::now() > deadline {
                let page = self.run("return document.body.innerText.slice(0, 2000)", json!([])).await;
                panic!("timed out after {timeout:?} waiting for {what}; the page shows:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element matching `css`, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> String {
        let escaped = serde_json::to_string(css).expect("selector");
        self.wait_for(css, Duration::from_secs(10), &format!("return document.querySelector({escaped}) !== null"))
            .await;
        let found =
            self.call(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        found[ELEMENT].as_str().expect("element id").to_string()
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
    }

    /// Replaces the text of the input matching `css`, as a person types.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({}))).await;
        self.call(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({ "text": text }))).await;
    }

    /// Saves a PNG of the window to `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().expect("base64")).expect("PNG bytes");
        std::fs::create_dir_all(path.parent().expect("screenshot dir")).expect("create screenshot dir");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

async fn ready(http: &reqwest::Client, base: &str) -> bool {
    match http.get(format!("{base}/status")).send().await {
        Ok(answer) => answer.json::<Value>().await.is_ok_and(|v| v["value"]["ready"] == true),
        Err(_) => false,
    }
}

impl Drop for Browser {
    /// Ends the session (chromedriver then closes Chromium) and the driver.
    fn drop(&mut self) {
        // A client of its own: the test's client belongs to the test's
        // runtime, which cannot be driven from here.
        let session = self.session.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build();
                if let Ok(http) = http {
                    http.delete(session).send().await.ok();
                }
            });
        })
        .join()
        .ok();
        self.driver.kill().ok();
        self.driver.wait().ok();
    }
}
