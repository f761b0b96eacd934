use std::future::Future;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub const KOI: &str = env!("CARGO_BIN_EXE_koi");

/// A file of this repository, such as the committed `nginx/koi.conf`.
pub fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn read_repo_file(relative: &str) -> String {
    std::fs::read_to_string(repo_file(relative)).unwrap_or_else(|e| panic!("read {relative}: {e}"))
}

/// A deployment tool from the distribution. Missing tools fail the test: the
/// deployment files are untested otherwise, and a skip would hide that.
pub fn require_tool(name: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    // nginx lives in /usr/sbin, which a non-root PATH often leaves out.
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]);
    dirs.map(|dir| dir.join(name)).find(|candidate| candidate.is_file()).unwrap_or_else(|| {
        panic!("`{name}` is not installed: run scripts/deploy-deps.sh (apt-get install nginx supervisor curl)")
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind a free port").local_addr().unwrap().port()
}

/// One test's world: a temp dir, a free port for koi and an SQLite database
/// inside the temp dir.
pub struct Sandbox {
    pub dir: TempDir,
    pub port: u16,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { dir: tempfile::tempdir().expect("temp dir"), port: free_port() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.address())
    }

    pub fn database_url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.path("koi.db").display())
    }

    /// The environment every koi of this sandbox runs with.
    pub fn koi_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("KOI__SERVER__ADDRESS", self.address()),
            ("KOI__DATABASE__URL", self.database_url()),
            ("KOI__LOG__LEVEL", "info".into()),
        ]
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// The last lines of a log file in the sandbox, for failure messages.
    pub fn log_tail(&self, name: &str) -> String {
        let text = std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| format!("<{e}>"));
        let lines: Vec<&str> = text.lines().collect();
        format!("--- {name} ---\n{}", lines[lines.len().saturating_sub(20)..].join("\n"))
    }
}

/// Replaces `from` in a committed file's text, failing when it is absent: a
/// test that silently substitutes nothing would test the wrong thing.
pub fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "expected `{from}` in the committed file; update the test with the file");
    text.replace(from, to)
}

/// Kills its child when dropped, even when the test panics: TERM first so
/// nginx and supervisord take their own children down, KILL if that hangs.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        signal(self.0.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

pub fn signal(pid: u32, name: &str) {
    Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status().expect("run kill");
}

/// Whether a process runs; a zombie (exited, not yet reaped) does not.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Runs a command to completion and fails the test when it cannot start.
pub fn run(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("run {command:?}: {e}"))
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Polls `probe` until it returns Some, failing with `what` and `context()`
/// after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, context: impl Fn() -> String, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}\n{}", context());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The test's HTTP client; proxies from the environment must not intercept
/// loopback requests.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("HTTP client")
}

/// Whether GET {base}/health answers 200 {"status":"ok"} right now.
pub async fn healthy(client: &reqwest::Client, base: &str) -> bool {
    match client.get(format!("{base}/health")).send().await {
        Ok(response) if response.status().is_success() => {
            response.json::<serde_json::Value>().await.is_ok_and(|body| body["status"] == "ok")
        }
        _ => false,
    }
}

pub async fn wait_healthy(client: &reqwest::Client, base: &str, context: impl Fn() -> String) {
    eventually(&format!("{base}/health"), Duration::from_secs(30), context, || async {
        healthy(client, base).await.then_some(())
    })
    .await
}
