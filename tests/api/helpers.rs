use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use koi::app::Application;
use koi::config::Settings;
use koi::ingest::Ingestor;
use reqwest::{Method, Response, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tempfile::TempDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Backend)` once per backend, as
/// `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

/// The PostgreSQL server the tests create their databases on; a missing
/// server fails the tests, it never skips them.
pub fn pg_admin_url() -> String {
    std::env::var("KOI_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database nobody else uses: its URL and, for SQLite, the folder that
/// holds the file (deleted when dropped).
pub async fn fresh_database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("koi.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let admin_url = pg_admin_url();
            let admin = Database::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL must be reachable at {admin_url} (set KOI_TEST_PG_URL): {e}"));
            let name = format!("koi_test_{}", uuid::Uuid::new_v4().simple());
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let (base, _) = admin_url.rsplit_once('/').expect("database URL ends with /dbname");
            (format!("{base}/{name}"), None)
        }
    }
}

pub fn test_settings(db_url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.server.address = "127.0.0.1:0".into();
    settings.server.workers = 2;
    settings.database.url = db_url.into();
    settings.autopull.enabled = false;
    // Wiremock sources listen on 127.0.0.1; keys stay off on this loopback
    // bind unless a test turns them on.
    settings.autopull.allow_loopback = true;
    // Tests write history dated in the past; retention tests sweep it
    // themselves with a clock of their choosing.
    settings.retention.raw = "0".into();
    settings.retention.minute = "0".into();
    settings.retention.hour = "0".into();
    // SQLite: new history indexed after each commit, so that tests read
    // both sides of it; `history_index` tests read it unindexed too.
    settings.database.history_index_ms = 0;
    settings
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The in-process server's writers (None for a `koi serve` child).
    ingestor: Option<Ingestor>,
    _dir: Option<TempDir>,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let (db_url, dir) = fresh_database(backend).await;
    spawn_with(test_settings(&db_url), dir).await
}

pub async fn spawn_with(settings: Settings, dir: Option<TempDir>) -> TestApp {
    let app = Application::build(settings).await.expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let ingestor = Some(app.ingestor());
    tokio::spawn(app.run());
    TestApp { address, client: reqwest::Client::new(), ingestor, _dir: dir }
}

impl TestApp {
    /// A server started some other way (a `koi serve` child), at `address`.
    pub fn at(address: &str) -> Self {
        TestApp { address: address.to_string(), client: reqwest::Client::new(), ingestor: None, _dir: None }
    }

    /// Runs the rollup builder on the project `stretches` times (or until
    /// it is done), as the background upkeep would.
    pub async fn roll_up(&self, code: &str, stretches: usize) {
        let ingestor = self.ingestor.as_ref().expect("an in-process server");
        for _ in 0..stretches {
            if !ingestor.build_rollups(code).await.expect("rollups build") {
                return;
            }
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client.post(format!("{}{path}", self.address)).json(body).send().await.expect("POST")
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.client.put(format!("{}{path}", self.address)).json(body).send().await.expect("PUT")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client.delete(format!("{}{path}", self.address)).send().await.expect("DELETE")
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Response {
        self.client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST")
    }

    /// A request with `key` as a bearer token (none: no key at all).
    pub async fn send_as(&self, key: Option<&str>, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.address));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request")
    }

    /// Creates a project, asserting 201.
    pub async fn create_project(&self, body: Value) -> Value {
        expect(self.post("/v1/projects", &body).await, StatusCode::CREATED).await
    }

    /// Pushes values, asserting 200, and returns the computed result.
    pub async fn push(&self, body: Value) -> Value {
        expect(self.post("/v1/data", &body).await, StatusCode::OK).await
    }

    /// How many results the project's history holds.
    pub async fn result_count(&self, code: &str) -> usize {
        let page =
            expect(self.get(&format!("/v1/projects/{code}/index/history?limit=1000")).await, StatusCode::OK).await;
        page["items"].as_array().expect("items").len()
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON.
pub async fn expect(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON body") }
}

/// Asserts a problem+json error with this status and returns it.
pub async fn expect_problem(response: Response, status: StatusCode) -> Value {
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_string());
    let problem = expect(response, status).await;
    assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{problem}");
    assert_eq!(problem["status"], status.as_u16(), "{problem}");
    assert!(!problem["detail"].as_str().unwrap_or("").is_empty(), "a problem explains itself: {problem}");
    problem
}

/// The `field` of each entry of a problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().map(|e| e["field"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default()
}

/// A project `air` with two plain indicators weighted 60/40.
pub fn plain_project(code: &str) -> Value {
    json!({
        "code": code,
        "title": "Plain",
        "indicators": [{"key": "a", "weight": 60}, {"key": "b", "weight": 40}]
    })
}

/// The real `koi serve` binary as a child process on `port`.
pub fn start_koi(db_url: &str, port: u16, env: &[(&str, &str)], stderr: Stdio) -> Child {
    koi_serve(db_url, port, env, stderr).spawn().expect("start koi")
}

/// `koi serve` as `start_koi` runs it, for tests that add arguments.
pub fn koi_serve(db_url: &str, port: u16, env: &[(&str, &str)], stderr: Stdio) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_koi"));
    command
        .arg("serve")
        .env("KOI__SERVER__ADDRESS", format!("127.0.0.1:{port}"))
        .env("KOI__DATABASE__URL", db_url)
        .env("KOI__AUTOPULL__ENABLED", "false")
        .env("KOI__AUTOPULL__ALLOW_LOOPBACK", "true")
        .env("KOI__LOG__LEVEL", "warn")
        // Tests stop servers with SIGTERM and wait: no proxy to drain for.
        .env("KOI__SERVER__DRAIN_SECS", "0")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(stderr);
    command
}

/// Sends SIGTERM, as supervisor and koi.sh do.
pub fn terminate(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
}

/// A free loopback port (for servers started as separate processes).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// Polls `url` until it answers 200 or the deadline passes.
pub async fn wait_until_up(client: &reqwest::Client, url: &str) {
    for _ in 0..200 {
        if answers(client, url).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up within 10 s");
}

/// Where a server process started by a test writes its log, so that a
/// failure can show it.
pub fn log_file(path: &std::path::Path) -> Stdio {
    Stdio::from(std::fs::File::create(path).expect("create the log file"))
}

/// Waits for the server process `child` to answer `url` with a success; if
/// it exits or has not answered within 30 s, fails showing its log.
pub async fn wait_until_serving(client: &reqwest::Client, url: &str, child: &mut Child, log: &std::path::Path) {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = child.try_wait().expect("the server's status") {
            panic!("the server exited ({status}) before answering {url}; its log:\n{}", read_log(log));
        }
        if answers(client, url).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up within 30 s; the server's log:\n{}", read_log(log));
}

async fn answers(client: &reqwest::Client, url: &str) -> bool {
    client.get(url).send().await.is_ok_and(|r| r.status().is_success())
}

fn read_log(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("(unreadable: {e})"))
}

pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}
