//! The committed supervisor/koi.conf under a private supervisord: both
//! programs come up, and each is restarted after a `kill -9`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{
    ChildGuard, KOI, Sandbox, alive, client, eventually, healthy, read_repo_file, repo_file, require_tool, run, signal,
    substitute, text, wait_healthy,
};

const PROGRAMS: [&str; 2] = ["koi-serve", "koi-autopull"];

/// The committed program file with the documented install paths moved into
/// the sandbox and the sandbox's address and database added to each
/// program's environment.
fn programs_conf(sandbox: &Sandbox) -> String {
    let committed = read_repo_file("supervisor/koi.conf");
    let logs = sandbox.path("log");
    let lib = sandbox.path("lib");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    let config = sandbox.path("config.toml");
    std::fs::copy(repo_file("config.toml"), &config).expect("copy config.toml");

    let conf = substitute(&committed, "/opt/koi/bin/koi", KOI);
    let conf = substitute(&conf, "/etc/koi/config.toml", &config.display().to_string());
    let conf = substitute(&conf, "/var/log/koi", &logs.display().to_string());
    let conf = substitute(&conf, "/var/lib/koi", &lib.display().to_string());
    let extra: String =
        sandbox.koi_env().iter().map(|(key, value)| format!(",{key}=\"{value}\"")).collect::<Vec<_>>().concat();
    let mut environments = 0;
    let lines = conf.lines().filter_map(|line| {
        if line.starts_with("user=") {
            // The test does not run as the dedicated `koi` user.
            None
        } else if line.starts_with("environment=") {
            environments += 1;
            Some(format!("{line}{extra}"))
        } else {
            Some(line.to_string())
        }
    });
    let conf = lines.collect::<Vec<_>>().join("\n") + "\n";
    assert_eq!(environments, PROGRAMS.len(), "every program needs an environment= line");
    conf
}

struct Supervisor {
    ctl: PathBuf,
    conf: PathBuf,
}

impl Supervisor {
    fn start(sandbox: &Sandbox) -> (Supervisor, ChildGuard) {
        let daemon = require_tool("supervisord");
        let ctl = require_tool("supervisorctl");
        let programs = sandbox.write("koi-programs.conf", &programs_conf(sandbox));
        let dir = sandbox.dir.path().display();
        let conf = format!(
            "[unix_http_server]\nfile={dir}/supervisor.sock\n\n\
             [supervisord]\nnodaemon=true\npidfile={dir}/supervisord.pid\nlogfile={dir}/supervisord.log\n\
             childlogdir={dir}/log\n\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n\
             [supervisorctl]\nserverurl=unix://{dir}/supervisor.sock\n\n\
             [include]\nfiles = {}\n",
            programs.display()
        );
        let conf = sandbox.write("supervisord.conf", &conf);
        let child = Command::new(daemon)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start supervisord");
        (Supervisor { ctl, conf }, ChildGuard(child))
    }

    fn ctl(&self, args: &[&str]) -> String {
        text(&run(Command::new(&self.ctl).arg("-c").arg(&self.conf).args(args)).stdout)
    }

    /// The pid of a program in the `koi` group when it is RUNNING.
    fn running_pid(&self, program: &str) -> Option<u32> {
        let status = self.ctl(&["status", &format!("koi:{program}")]);
        if status.split_whitespace().nth(1) != Some("RUNNING") {
            return None;
        }
        self.ctl(&["pid", &format!("koi:{program}")]).trim().parse().ok().filter(|&pid| pid > 0)
    }
}

fn diagnostics(sandbox: &Sandbox, supervisor: &Supervisor) -> String {
    let mut out = format!("--- supervisorctl status ---\n{}", supervisor.ctl(&["status"]));
    for program in PROGRAMS {
        out += &format!("\n{}", sandbox.log_tail(&format!("log/{program}.err.log")));
    }
    out + "\n" + &sandbox.log_tail("supervisord.log")
}

#[tokio::test]
async fn runs_both_programs_and_restarts_them_after_kill_9() {
    let sandbox = Sandbox::new();
    let (supervisor, _daemon) = Supervisor::start(&sandbox);
    let context = || diagnostics(&sandbox, &supervisor);
    let client = client();
    let wait = Duration::from_secs(60);

    let mut pids = Vec::new();
    for program in PROGRAMS {
        let what = format!("{program} RUNNING");
        pids.push(eventually(&what, wait, context, || async { supervisor.running_pid(program) }).await);
    }
    wait_healthy(&client, &sandbox.base_url(), context).await;
    // The committed log paths are used: koi logs its startup to stderr.
    for program in PROGRAMS {
        let log = sandbox.path(&format!("log/{program}.err.log"));
        assert!(std::fs::metadata(&log).is_ok_and(|m| m.len() > 0), "{} is empty\n{}", log.display(), context());
    }

    for (program, old_pid) in PROGRAMS.into_iter().zip(pids) {
        signal(old_pid, "KILL");
        let what = format!("{program} restarted after kill -9 of pid {old_pid}");
        let new_pid = eventually(&what, wait, context, || async {
            supervisor.running_pid(program).filter(|&pid| pid != old_pid)
        })
        .await;
        assert!(alive(new_pid));
        assert!(!alive(old_pid), "pid {old_pid} survived kill -9");
        wait_healthy(&client, &sandbox.base_url(), context).await;
    }
    assert!(healthy(&client, &sandbox.base_url()).await);
}
