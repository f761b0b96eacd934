//! What the dashboard needs from the server: its embedded files with
//! strict headers, `/v1/whoami`, `/v1/overview` and the events stream.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::auth::secured;
use crate::helpers::{Backend, expect, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    the_dashboard_is_served_with_strict_headers_and_revalidates,
    the_dashboard_needs_no_key_but_its_data_does,
    whoami_tells_a_key_its_role,
    the_overview_has_a_card_per_project_with_its_newest_value,
    the_events_stream_sends_each_new_point,
    the_events_stream_sends_alert_transitions,
);

async fn the_dashboard_is_served_with_strict_headers_and_revalidates(backend: Backend) {
    let app = spawn_app(backend).await;

    let page = app.get("/").await;
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(page.text().await.unwrap().contains("/ui/js/main.js"));

    let etag = headers["etag"].to_str().unwrap().to_string();
    let again = app.client.get(format!("{}/", app.address)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "an unchanged page is not sent again");

    for (path, content_type) in [
        ("/ui/js/main.js", "text/javascript; charset=utf-8"),
        ("/ui/vendor/uPlot.esm.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
    ] {
        let file = app.get(path).await;
        assert_eq!(file.status(), StatusCode::OK, "{path}");
        assert_eq!(file.headers()["content-type"], content_type, "{path}");
        assert_eq!(file.headers()["cache-control"], "no-cache", "{path}");
    }
    assert_eq!(app.get("/ui/js/nothing.js").await.status(), StatusCode::NOT_FOUND);
}

async fn the_dashboard_needs_no_key_but_its_data_does(backend: Backend) {
    let site = secured(backend, |_| {}).await;
    for path in ["/", "/ui/js/main.js"] {
        assert_eq!(site.app.get(path).await.status(), StatusCode::OK, "{path} is public");
    }
    assert_eq!(site.app.get("/v1/overview").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(site.app.get("/v1/whoami").await.status(), StatusCode::UNAUTHORIZED);
}

async fn whoami_tells_a_key_its_role(backend: Backend) {
    let open = spawn_app(backend).await;
    let anyone = expect(open.get("/v1/whoami").await, StatusCode::OK).await;
    assert_eq!(anyone, json!({"keys_required": false, "role": "admin", "projects": []}));

    let site = secured(backend, |_| {}).await;
    let (_, reader) = site.key("read", &["air"]).await;
    let read = expect(site.app.send_as(Some(&reader), Method::GET, "/v1/whoami", None).await, StatusCode::OK).await;
    assert_eq!(read, json!({"keys_required": true, "role": "read", "projects": ["air"]}));
}

async fn the_overview_has_a_card_per_project_with_its_newest_value(backend: Backend) {
    let site = secured(backend, |_| {}).await;
    for code in ["air", "water"] {
        site.as_admin(Method::POST, "/v1/projects", Some(&plain_project(code))).await;
    }
    site.as_admin(Method::POST, "/v1/data", Some(&json!({"project": "air", "values": {"a": 30, "b": 50}}))).await;

    let cards = expect(site.as_admin(Method::GET, "/v1/overview", None).await, StatusCode::OK).await;
    assert_eq!(cards.as_array().unwrap().len(), 2);
    assert_eq!((cards[0]["code"].as_str(), cards[0]["value"].as_f64()), (Some("air"), Some(38.0)));
    assert_eq!(cards[0]["indicators"], 2);
    assert!(cards[0]["at"].is_string());
    assert_eq!((cards[1]["code"].as_str(), &cards[1]["value"]), (Some("water"), &Value::Null), "no push, no value");

    let (_, scoped) = site.key("read", &["water"]).await;
    let theirs = expect(site.app.send_as(Some(&scoped), Method::GET, "/v1/overview", None).await, StatusCode::OK).await;
    let codes: Vec<&str> = theirs.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["water"], "a scoped key sees its own projects");
}

async fn the_events_stream_sends_each_new_point(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("air")).await;
    app.create_project(plain_project("water")).await;
    assert_eq!(app.get("/v1/projects/nothing/events").await.status(), StatusCode::NOT_FOUND);

    let mut events = Events::open(&app, "air").await;
    app.push(json!({"project": "water", "values": {"a": 1, "b": 1}})).await;
    app.push(json!({"project": "air", "values": {"a": 30, "b": 50}})).await;

    let frame = events.next("point").await;
    let point: Value = serde_json::from_str(&frame).unwrap();
    assert_eq!((point["project"].as_str(), point["value"].as_f64()), (Some("air"), Some(38.0)), "only air's point");
    assert_eq!(point["breakdown"].as_array().unwrap().len(), 2);
}

async fn the_events_stream_sends_alert_transitions(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("air")).await;
    let rule = json!({"name": "air-low", "kind": "index_below", "threshold": 50, "for": 0, "severity": "critical"});
    expect(app.post("/v1/projects/air/alerts", &rule).await, StatusCode::CREATED).await;
    let mut events = Events::open(&app, "air").await;

    app.push(json!({"project": "air", "values": {"a": 10, "b": 10}})).await;

    let change: Value = serde_json::from_str(&events.next("alert").await).unwrap();
    assert_eq!(change["rule"], "air-low");
    assert_eq!((change["from"].as_str(), change["to"].as_str()), (Some("inactive"), Some("firing")), "{change}");
    assert_eq!(change["value"], 10.0);
}

/// An open `GET …/events` stream.
struct Events {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<actix_web::web::Bytes>>>>,
    text: String,
}

impl Events {
    /// Opens the stream and waits for its opening frame, so that what
    /// happens next is on it.
    async fn open(app: &crate::helpers::TestApp, code: &str) -> Events {
        let stream = app.get(&format!("/v1/projects/{code}/events")).await;
        assert_eq!(stream.status(), StatusCode::OK);
        assert_eq!(stream.headers()["content-type"], "text/event-stream");
        let mut events = Events { body: Box::pin(stream.bytes_stream()), text: String::new() };
        while !events.text.contains("\n\n") {
            events.read().await;
        }
        events
    }

    async fn read(&mut self) {
        let chunk = self.body.next().await.expect("the stream goes on").expect("a frame");
        self.text.push_str(&String::from_utf8_lossy(&chunk));
    }

    /// The data of the next `event`, within 5 s.
    async fn next(&mut self, event: &str) -> String {
        let head = format!("event: {event}\ndata: ");
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(start) = self.text.find(&head) {
                    let rest = &self.text[start + head.len()..];
                    if let Some(end) = rest.find("\n\n") {
                        let data = rest[..end].to_string();
                        self.text = rest[end..].to_string();
                        return data;
                    }
                }
                self.read().await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {event} event within 5 s; the stream said: {}", self.text))
    }
}
