use reqwest::StatusCode;

use crate::helpers::{Backend, expect, spawn_app};

/// Regenerate with `cargo run -- openapi > openapi/openapi.json`.
#[test]
fn committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .expect("openapi/openapi.json is committed");
    assert!(
        committed.trim_end() == koi::api::openapi_json().trim_end(),
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json` and commit it"
    );
}

#[tokio::test]
async fn the_server_serves_its_openapi_document_and_an_offline_docs_ui() {
    let app = spawn_app(Backend::Sqlite).await;

    let served = expect(app.get("/openapi.json").await, StatusCode::OK).await;
    let ui = app.get("/docs/").await;

    assert_eq!(served, serde_json::from_str::<serde_json::Value>(&koi::api::openapi_json()).unwrap());
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"), "the UI page is served");
    assert_eq!(app.get("/docs/swagger-ui.css").await.status(), StatusCode::OK, "UI assets are bundled");
}
