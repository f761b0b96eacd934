//! API keys and roles: who may call what, 401 versus 403, scoping, the CLI.

use std::process::Command;
use std::time::Duration;

use koi::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, TestApp, expect, expect_problem, fresh_database, plain_project, spawn_with, test_settings,
};
use crate::on_both_backends;

on_both_backends!(
    each_role_may_use_exactly_its_route_groups,
    missing_unknown_and_revoked_keys_get_401,
    a_foreign_bearer_is_passed_over_for_the_x_api_key,
    a_scoped_key_gets_403_on_other_projects,
    the_x_api_key_header_works_and_probes_need_no_key,
    a_key_created_with_the_cli_works_against_the_running_server,
    cors_preflights_are_answered_for_allowed_origins_only,
);

/// A server that requires keys, its database URL and an admin key.
pub struct Secured {
    pub app: TestApp,
    pub db_url: String,
    pub admin: String,
}

pub async fn secured(backend: Backend, tweak: impl FnOnce(&mut koi::config::Settings)) -> Secured {
    let (db_url, dir) = fresh_database(backend).await;
    let mut settings = test_settings(&db_url);
    settings.auth.enabled = Some(true);
    tweak(&mut settings);
    let app = spawn_with(settings.clone(), dir).await;
    let db = koi::store::connect(&settings.database).await.expect("connect");
    let (_, admin) = koi::api::create_key(&db, "first admin", Role::Admin, &[]).await.expect("admin key");
    db.close().await.ok();
    Secured { app, db_url, admin }
}

impl Secured {
    /// A new key made through the API; returns (id, secret).
    pub async fn key(&self, role: &str, projects: &[&str]) -> (i64, String) {
        let body = json!({"name": format!("{role} key"), "role": role, "projects": projects});
        let created = expect(
            self.app.send_as(Some(&self.admin), Method::POST, "/v1/keys", Some(&body)).await,
            StatusCode::CREATED,
        )
        .await;
        (created["id"].as_i64().unwrap(), created["secret"].as_str().unwrap().to_string())
    }

    pub async fn as_admin(&self, method: Method, path: &str, body: Option<&Value>) -> reqwest::Response {
        self.app.send_as(Some(&self.admin), method, path, body).await
    }
}

/// A route group's name, one request of it, and the roles that may send it.
type Route = (&'static str, Method, &'static str, Option<Value>, &'static [&'static str]);

fn route_groups() -> Vec<Route> {
    let admin: &[&str] = &["admin"];
    let read: &[&str] = &["admin", "read"];
    let ingest: &[&str] = &["admin", "ingest"];
    let project = json!({"title": "Q", "indicators": [{"key": "a", "weight": 100}]});
    vec![
        ("project create", Method::POST, "/v1/projects", Some(project.clone()), admin),
        ("project replace", Method::PUT, "/v1/projects/q", Some(project), admin),
        ("indicator upsert", Method::PUT, "/v1/projects/p/indicators/c", Some(json!({"weight": 0})), admin),
        ("project list", Method::GET, "/v1/projects", None, read),
        ("project read", Method::GET, "/v1/projects/p", None, read),
        ("push", Method::POST, "/v1/data", Some(json!({"project": "p", "values": {"a": 1}})), ingest),
        ("legacy push", Method::POST, "/v1/data", Some(json!({"itemcode": "p", "name": "a", "value": 2})), ingest),
        ("index", Method::GET, "/v1/projects/p/index", None, read),
        ("index history", Method::GET, "/v1/projects/p/index/history", None, read),
        ("indicators", Method::GET, "/v1/projects/p/indicators", None, read),
        ("indicator history", Method::GET, "/v1/projects/p/indicators/a/history", None, read),
        ("sources", Method::GET, "/v1/remote", None, admin),
        ("dry run", Method::POST, "/v1/remote/test", Some(json!({"url": "x", "mappings": []})), admin),
        ("keys", Method::GET, "/v1/keys", None, admin),
        ("compat setup", Method::GET, "/v1/setup", None, admin),
        ("compat datasetup", Method::GET, "/v1/datasetup/target?itemcode=p", None, admin),
        ("compat index", Method::GET, "/v1/index?itemcode=p", None, read),
        ("compat targets", Method::GET, "/v1/index/targets?itemcode=p", None, read),
        ("compat history", Method::GET, "/v1/history?itemcode=p", None, read),
    ]
}

async fn each_role_may_use_exactly_its_route_groups(backend: Backend) {
    let s = secured(backend, |_| {}).await;
    expect(s.as_admin(Method::POST, "/v1/projects", Some(&plain_project("p"))).await, StatusCode::CREATED).await;
    let keys =
        [("read", s.key("read", &[]).await.1), ("ingest", s.key("ingest", &[]).await.1), ("admin", s.admin.clone())];

    for (role, key) in &keys {
        for (group, method, path, body, allowed) in route_groups() {
            let response = s.app.send_as(Some(key), method, path, body.as_ref()).await;
            let status = response.status();

            if group.starts_with("compat") {
                // Original clients read `code` and `message` from an HTTP 200 envelope.
                let body = expect(response, StatusCode::OK).await;
                let code = body["code"].as_u64().unwrap();
                if allowed.contains(role) {
                    assert!(![401, 403, 429].contains(&code) && code < 500, "{role} {group}: {body}");
                    continue;
                }
                assert_eq!(code, 403, "{role} {group}: {body}");
                assert!(body["message"].as_str().unwrap().contains("role"), "{role} {group}: {body}");
            } else if allowed.contains(role) {
                assert!(
                    ![401, 403, 429].contains(&status.as_u16()) && !status.is_server_error(),
                    "{role} {group}: {status}"
                );
            } else {
                let problem = expect_problem(response, StatusCode::FORBIDDEN).await;
                assert!(problem["detail"].as_str().unwrap().contains("role"), "{role} {group}: {problem}");
            }
        }
    }
}

async fn missing_unknown_and_revoked_keys_get_401(backend: Backend) {
    let s = secured(backend, |_| {}).await;
    let (id, key) = s.key("read", &[]).await;
    let before = s.app.send_as(Some(&key), Method::GET, "/v1/projects", None).await.status();

    let missing = s.app.send_as(None, Method::GET, "/v1/projects", None).await;
    let unknown = s.app.send_as(Some("koi_0000"), Method::GET, "/v1/projects", None).await;
    expect(s.as_admin(Method::DELETE, &format!("/v1/keys/{id}"), None).await, StatusCode::NO_CONTENT).await;
    let revoked = s.app.send_as(Some(&key), Method::GET, "/v1/projects", None).await;

    assert_eq!(before, StatusCode::OK);
    for response in [missing, unknown, revoked] {
        assert_eq!(response.headers().get("www-authenticate").map(|v| v.to_str().unwrap()), Some("Bearer"));
        expect_problem(response, StatusCode::UNAUTHORIZED).await;
    }
    let listed = expect(s.as_admin(Method::GET, "/v1/keys", None).await, StatusCode::OK).await;
    let shown = listed["items"].as_array().unwrap().iter().find(|k| k["id"] == id).unwrap().clone();
    assert!(shown["revoked_at"].is_string() && shown.get("secret").is_none(), "{shown}");
    assert!(key.starts_with(shown["prefix"].as_str().unwrap()), "{shown}");
    assert!(!listed.to_string().contains(&key), "secrets are never listed");
    // The SagooIOT UI logs its user out on code 401: a key problem is 403,
    // sent as HTTP 200, with a message on how to set the key up.
    let legacy = s.app.send_as(None, Method::GET, "/v1/setup", None).await;
    let enveloped = expect(legacy, StatusCode::OK).await;
    assert_eq!((enveloped["code"].as_u64(), enveloped["data"].is_null()), (Some(403), true), "{enveloped}");
    assert!(enveloped["message"].as_str().unwrap().contains("X-API-Key"), "{enveloped}");
}

/// The SagooIOT UI sends its own session token as a bearer on every call;
/// the proxy in front of KOI adds the KOI key as X-API-Key.
async fn a_foreign_bearer_is_passed_over_for_the_x_api_key(backend: Backend) {
    let s = secured(backend, |_| {}).await;
    let reader = s.key("read", &[]).await.1;
    let url = format!("{}/v1/projects", s.app.address);
    let foreign = "eyJhbGciOiJIUzI1NiJ9.sagoo-session.sig";
    let send = |bearer: Option<&str>, header: Option<&str>| {
        let mut request = s.app.client.get(&url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(key) = header {
            request = request.header("X-API-Key", key);
        }
        request.send()
    };

    let both = send(Some(foreign), Some(&reader)).await.unwrap();
    let foreign_alone = send(Some(foreign), None).await.unwrap();
    let koi_bearer_wins = send(Some("koi_unknown"), Some(&reader)).await.unwrap();

    expect(both, StatusCode::OK).await;
    let problem = expect_problem(foreign_alone, StatusCode::UNAUTHORIZED).await;
    assert!(problem["detail"].as_str().unwrap().contains("not a KOI key"), "{problem}");
    expect_problem(koi_bearer_wins, StatusCode::UNAUTHORIZED).await;
}

async fn a_scoped_key_gets_403_on_other_projects(backend: Backend) {
    let s = secured(backend, |_| {}).await;
    for code in ["p", "q"] {
        expect(s.as_admin(Method::POST, "/v1/projects", Some(&plain_project(code))).await, StatusCode::CREATED).await;
    }
    let reader = s.key("read", &["p"]).await.1;
    let producer = s.key("ingest", &["p"]).await.1;
    let app = &s.app;
    let send = |key: &str, method: Method, path: &str, body: Option<Value>| {
        let (key, path) = (key.to_string(), path.to_string());
        async move { app.send_as(Some(&key), method, &path, body.as_ref()).await }
    };

    let own = send(&reader, Method::GET, "/v1/projects/p", None).await;
    let other = send(&reader, Method::GET, "/v1/projects/q/indicators", None).await;
    let listing = send(&reader, Method::GET, "/v1/projects", None).await;
    let legacy_index = send(&reader, Method::GET, "/v1/index?itemcode=q", None).await;
    let push_own = send(&producer, Method::POST, "/v1/data", Some(json!({"project": "p", "values": {"a": 1}}))).await;
    let mixed = json!([{"project": "p", "values": {"a": 2}}, {"project": "q", "values": {"a": 2}}]);
    let push_mixed = send(&producer, Method::POST, "/v1/data", Some(mixed)).await;
    let legacy_push =
        send(&producer, Method::POST, "/v1/data", Some(json!({"itemcode": "q", "name": "a", "value": 1}))).await;

    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!([other.status(), listing.status()], [StatusCode::FORBIDDEN; 2]);
    assert_eq!((push_own.status(), push_mixed.status()), (StatusCode::OK, StatusCode::FORBIDDEN));
    for refused in [legacy_index, legacy_push] {
        let body = expect(refused, StatusCode::OK).await;
        assert_eq!(body["code"], 403, "the original's clients read code from an HTTP 200: {body}");
    }
    let history = expect(s.as_admin(Method::GET, "/v1/projects/p/index/history", None).await, StatusCode::OK).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "the refused batch stored nothing");
}

async fn the_x_api_key_header_works_and_probes_need_no_key(backend: Backend) {
    let s = secured(backend, |_| {}).await;
    let key = s.key("read", &[]).await.1;
    let url = format!("{}/v1/projects", s.app.address);

    let with_header = s.app.client.get(&url).header("X-API-Key", &key).send().await.unwrap();

    expect(with_header, StatusCode::OK).await;
    for path in ["/health", "/ready", "/metrics", "/openapi.json", "/docs/"] {
        assert_eq!(s.app.send_as(None, Method::GET, path, None).await.status(), StatusCode::OK, "{path}");
    }
}

async fn a_key_created_with_the_cli_works_against_the_running_server(backend: Backend) {
    let s = secured(backend, |_| {}).await;
    let koi = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_koi"))
            .args(args)
            .env("KOI__DATABASE__URL", &s.db_url)
            .env("KOI__LOG__LEVEL", "warn")
            .output()
            .expect("run koi");
        assert!(out.status.success(), "koi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };

    let secret =
        koi(&["key", "create", "--role", "read", "--name", "cli dashboard", "--project", "p"]).trim().to_string();
    let listed = koi(&["key", "list"]);
    let works = s.app.send_as(Some(&secret), Method::GET, "/v1/projects/p/indicators", None).await.status();
    let id =
        listed.lines().find(|l| l.contains("cli dashboard")).unwrap().split_whitespace().next().unwrap().to_string();
    koi(&["key", "revoke", &id]);

    assert!(secret.starts_with("koi_") && secret.len() > 40, "{secret}");
    assert!(listed.contains(&secret[..12]) && !listed.contains(&secret), "{listed}");
    assert_eq!(works, StatusCode::NOT_FOUND, "the key passes; project p does not exist");
    // Revoked elsewhere than through this server: the key cache lets it live a few seconds at most.
    let mut status = StatusCode::OK;
    for _ in 0..100 {
        status = s.app.send_as(Some(&secret), Method::GET, "/v1/projects/p", None).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn cors_preflights_are_answered_for_allowed_origins_only(backend: Backend) {
    let s = secured(backend, |s| s.server.cors_origins = vec!["https://dash.example".into()]).await;
    let preflight = |origin: &'static str| {
        s.app
            .client
            .request(Method::OPTIONS, format!("{}/v1/projects", s.app.address))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };

    let allowed = preflight("https://dash.example").await.unwrap();
    let other = preflight("https://evil.example").await.unwrap();

    assert!(allowed.status().is_success(), "{}", allowed.status());
    let allow_origin = |r: &reqwest::Response| r.headers().get("access-control-allow-origin").cloned();
    assert_eq!(allow_origin(&allowed).unwrap(), "https://dash.example");
    assert_eq!(allow_origin(&other), None);
}
