//! The committed nginx/koi.conf, included in a minimal nginx.conf the way a
//! stock nginx includes it from `http {}`, in front of the real binary.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ChildGuard, KOI, Sandbox, client, free_port, read_repo_file, require_tool, run, substitute, text, wait_healthy,
};

/// nginx on its own port, proxying to koi on the sandbox's port; everything
/// nginx writes stays in the sandbox.
pub struct Nginx {
    binary: PathBuf,
    conf: PathBuf,
    port: u16,
}

impl Nginx {
    /// The SagooIOT key file is looked for in the sandbox, never in the
    /// machine's /etc/nginx; tests that need one write `koi-ui-key.conf`.
    pub fn configure(sandbox: &Sandbox) -> Nginx {
        let binary = require_tool("nginx");
        let port = free_port();
        let site = read_repo_file("nginx/koi.conf");
        let site = substitute(&site, "listen 80;", &format!("listen 127.0.0.1:{port};"));
        let site = substitute(&site, "server 127.0.0.1:8199 ", &format!("server {} ", sandbox.address()));
        let key_files = sandbox.path("koi-ui-key*.conf");
        let site = substitute(&site, "/etc/nginx/koi-ui-key*.conf", &key_files.display().to_string());
        let site = sandbox.write("koi-site.conf", &site);
        let dir = sandbox.dir.path().display();
        // As root, nginx workers would switch to `nobody`, who cannot enter
        // the sandbox to write request bodies; as non-root `user` is ignored.
        let conf = format!(
            "daemon off;\nuser root root;\nworker_processes 1;\npid {dir}/nginx.pid;\nerror_log {dir}/nginx-error.log info;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n  access_log {dir}/nginx-access.log;\n  client_body_temp_path {dir}/client_body;\n  \
             proxy_temp_path {dir}/proxy;\n  fastcgi_temp_path {dir}/fastcgi;\n  uwsgi_temp_path {dir}/uwsgi;\n  \
             scgi_temp_path {dir}/scgi;\n  include {};\n}}\n",
            site.display()
        );
        Nginx { binary, conf: sandbox.write("nginx.conf", &conf), port }
    }

    fn command(&self, sandbox: &Sandbox) -> Command {
        let mut command = Command::new(&self.binary);
        // -e: the error log before the config is read, else /var/log/nginx.
        command
            .arg("-c")
            .arg(&self.conf)
            .arg("-p")
            .arg(sandbox.dir.path())
            .arg("-e")
            .arg(sandbox.path("nginx-error.log"));
        command
    }

    pub fn check(&self, sandbox: &Sandbox) {
        let out = run(self.command(sandbox).arg("-t"));
        assert!(out.status.success(), "nginx -t rejected the config:\n{}", text(&out.stderr));
    }

    pub fn start(&self, sandbox: &Sandbox) -> ChildGuard {
        ChildGuard(self.command(sandbox).stderr(Stdio::null()).spawn().expect("start nginx"))
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn start_koi(sandbox: &Sandbox) -> ChildGuard {
    start_koi_with(sandbox, &[])
}

pub fn start_koi_with(sandbox: &Sandbox, env: &[(&str, &str)]) -> ChildGuard {
    let log = std::fs::File::create(sandbox.path("koi.log")).expect("koi log");
    let child = Command::new(KOI)
        .arg("serve")
        .envs(sandbox.koi_env())
        .env("KOI__AUTOPULL__ENABLED", "false")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start koi");
    ChildGuard(child)
}

pub fn logs(sandbox: &Sandbox) -> String {
    format!("{}\n{}", sandbox.log_tail("koi.log"), sandbox.log_tail("nginx-error.log"))
}

#[test]
fn committed_config_passes_nginx_t() {
    let sandbox = Sandbox::new();
    Nginx::configure(&sandbox).check(&sandbox);
}

#[tokio::test]
async fn proxies_the_api_and_rejects_oversized_bodies() {
    let sandbox = Sandbox::new();
    let nginx = Nginx::configure(&sandbox);
    nginx.check(&sandbox);
    let _koi = start_koi(&sandbox);
    let _nginx = nginx.start(&sandbox);
    let client = client();
    let context = || logs(&sandbox);
    wait_healthy(&client, &sandbox.base_url(), context).await;
    wait_healthy(&client, &nginx.url(), context).await;

    let project = json!({"code": "via-nginx", "title": "Through nginx", "indicators": [{"key": "a", "weight": 100}]});
    let created = client.post(format!("{}/v1/projects", nginx.url())).json(&project).send().await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.json::<Value>().await.unwrap()["code"], "via-nginx");
    let read = client.get(format!("{}/v1/projects/via-nginx", nginx.url())).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert!(read.headers().get("cache-control").is_none(), "API answers must not be marked cacheable");
    assert_eq!(read.json::<Value>().await.unwrap()["title"], "Through nginx");
    // Stored by the koi behind nginx, not answered by something else.
    let direct = client.get(format!("{}/v1/projects/via-nginx", sandbox.base_url())).send().await.unwrap();
    assert_eq!(direct.status(), StatusCode::OK);

    let oversized = client
        .post(format!("{}/v1/data", nginx.url()))
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // nginx stamps its Server header on proxied answers too; only the body
    // type tells nginx's own 413 (HTML) from koi's (problem+json).
    let kind = oversized.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/html"), "the 413 must come from nginx, before koi, not {kind}");
    // Just under the limit passes nginx: a valid push padded with whitespace,
    // which koi accepts, so nginx's limit is not stricter than koi's.
    let padded = format!("{{\"project\": \"via-nginx\", \"values\": {{\"a\": 1}}}}{}", " ".repeat(1024 * 1000));
    let under = client
        .post(format!("{}/v1/data", nginx.url()))
        .header("content-type", "application/json")
        .body(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(under.status(), StatusCode::OK, "{}", under.text().await.unwrap());
}

#[tokio::test]
async fn docs_assets_are_cacheable_through_nginx() {
    let sandbox = Sandbox::new();
    let nginx = Nginx::configure(&sandbox);
    let _koi = start_koi(&sandbox);
    let _nginx = nginx.start(&sandbox);
    let client = client();
    let context = || logs(&sandbox);
    wait_healthy(&client, &nginx.url(), context).await;

    let asset = client.get(format!("{}/docs/swagger-ui.css", nginx.url())).send().await.unwrap();
    assert_eq!(asset.status(), StatusCode::OK);
    let cache: Vec<_> = asset.headers().get_all("cache-control").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(cache, ["public, max-age=86400"]);
    assert!(!asset.text().await.unwrap().is_empty());
}
