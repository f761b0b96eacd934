//! scripts/koi.sh against the built binary: LSB exit codes, idempotent start
//! and stop, stale pid files, and startup failures.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use tokio::io::AsyncBufReadExt;

use crate::helpers::{KOI, Sandbox, alive, client, free_port, healthy, repo_file, run, signal, text};

/// koi.sh with every setting pointing into the sandbox, so nothing from the
/// caller's environment (KOI_HOME, a real pid file) is touched.
struct Script {
    sandbox: Sandbox,
}

impl Script {
    fn new() -> Script {
        let sandbox = Sandbox::new();
        Script { sandbox }
    }

    fn command(&self, action: &str) -> Command {
        let mut command = Command::new(repo_file("scripts/koi.sh"));
        command
            .arg(action)
            .env_remove("KOI_HOME")
            .env_remove("KOI_ADDRESS")
            .env_remove("KOI_CONFIG")
            .env("KOI_BIN", KOI)
            .env("KOI_PID_FILE", self.pid_file())
            .env("KOI_LOG_FILE", self.sandbox.path("log/koi.log"))
            .env("KOI__AUTOPULL__ENABLED", "false")
            .envs(self.sandbox.koi_env());
        command
    }

    fn run(&self, action: &str) -> Output {
        run(&mut self.command(action))
    }

    /// Runs an action and checks its exit code, showing its output otherwise.
    fn expect(&self, action: &str, code: i32) -> Output {
        let out = self.run(action);
        let shown = format!("stdout: {}\nstderr: {}", text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(code), "koi.sh {action}\n{shown}\n{}", self.sandbox.log_tail("log/koi.log"));
        out
    }

    fn pid_file(&self) -> PathBuf {
        self.sandbox.path("run/koi.pid")
    }

    fn pid(&self) -> u32 {
        let pid = std::fs::read_to_string(self.pid_file()).expect("pid file");
        pid.trim().parse().unwrap_or_else(|_| panic!("pid file holds {pid:?}"))
    }

    async fn healthy(&self) -> bool {
        healthy(&client(), &self.sandbox.base_url()).await
    }
}

/// A koi left running by a failed assertion would hold its port and files.
impl Drop for Script {
    fn drop(&mut self) {
        if let Some(pid) = std::fs::read_to_string(self.pid_file()).ok().and_then(|p| p.trim().parse().ok())
            && alive(pid)
        {
            signal(pid, "KILL");
        }
    }
}

#[tokio::test]
async fn lifecycle_follows_lsb_exit_codes() {
    let koi = Script::new();
    koi.expect("status", 3);

    koi.expect("start", 0);
    assert!(koi.healthy().await, "start returned before /health answered");
    let first = koi.pid();
    let again = koi.expect("start", 0);
    assert!(text(&again.stdout).contains("already running"));
    assert_eq!(koi.pid(), first, "a second start must not replace the server");
    koi.expect("status", 0);

    let mut tail = tokio::process::Command::new(repo_file("scripts/koi.sh"));
    let tail = tail.arg("tail").env("KOI_LOG_FILE", koi.sandbox.path("log/koi.log"));
    let mut tail = tail.stdout(std::process::Stdio::piped()).kill_on_drop(true).spawn().expect("koi.sh tail");
    let mut lines = tokio::io::BufReader::new(tail.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line()).await;
    assert!(matches!(line, Ok(Ok(Some(_)))), "koi.sh tail printed no log line: {line:?}");
    drop(tail);

    koi.expect("stop", 0);
    assert!(!alive(first), "pid {first} still runs after stop");
    assert!(!koi.healthy().await);
    assert!(!koi.pid_file().exists(), "stop must remove the pid file");
    koi.expect("stop", 0);
    koi.expect("status", 3);

    koi.expect("start", 0);
    let before = koi.pid();
    koi.expect("restart", 0);
    let after = koi.pid();
    assert_ne!(before, after, "restart must start a new process");
    assert!(!alive(before));
    assert!(koi.healthy().await);
    koi.expect("stop", 0);

    let usage = koi.expect("frobnicate", 2);
    assert!(text(&usage.stderr).contains("usage"));
    koi.expect("", 2);
}

#[tokio::test]
async fn stale_pid_file_means_not_running() {
    let koi = Script::new();
    let mut exited = Command::new("true").spawn().unwrap();
    let dead = exited.id();
    exited.wait().unwrap();
    std::fs::create_dir_all(koi.sandbox.path("run")).unwrap();
    std::fs::write(koi.pid_file(), format!("{dead}\n")).unwrap();

    let status = koi.expect("status", 1);
    assert!(text(&status.stdout).contains("not running"));
    koi.expect("stop", 0);
    std::fs::write(koi.pid_file(), format!("{dead}\n")).unwrap();
    koi.expect("start", 0);
    assert_ne!(koi.pid(), dead);
    assert!(koi.healthy().await);
    koi.expect("stop", 0);
}

#[test]
fn start_fails_and_shows_the_log_when_koi_exits() {
    let koi = Script::new();
    // Holding koi's port makes it fail to bind and exit.
    let _taken = TcpListener::bind(koi.sandbox.address()).unwrap();
    let out = koi.run("start");
    assert!(!out.status.success(), "start succeeded although koi could not bind");
    assert!(text(&out.stderr).contains("last lines"), "no log lines shown: {}", text(&out.stderr));
    koi.expect("status", 3);
}

#[tokio::test]
async fn start_gives_up_after_the_timeout_and_stops_koi() {
    let koi = Script::new();
    // koi listens on its port, but the script probes a port nobody answers.
    let mut start = koi.command("start");
    let out = run(start.env("KOI_ADDRESS", format!("127.0.0.1:{}", free_port())).env("KOI_START_TIMEOUT", "3"));
    assert!(!out.status.success(), "start succeeded although /health never answered");
    assert!(text(&out.stderr).contains("did not answer"), "{}", text(&out.stderr));
    assert!(!koi.healthy().await, "the unreachable koi was left running");
    koi.expect("status", 3);
}

#[tokio::test]
async fn start_probes_the_address_from_koi_config() {
    let koi = Script::new();
    let config = koi.sandbox.write(
        "config.toml",
        &format!(
            "[server]\naddress = \"{}\"\n\n[database]\nurl = \"{}\"\n",
            koi.sandbox.address(),
            koi.sandbox.database_url()
        ),
    );
    let mut start = koi.command("start");
    let out = run(start.env_remove("KOI__SERVER__ADDRESS").env("KOI_CONFIG", &config));
    assert!(out.status.success(), "{}\n{}", text(&out.stderr), koi.sandbox.log_tail("log/koi.log"));
    assert!(koi.healthy().await);
    koi.expect("stop", 0);
}
