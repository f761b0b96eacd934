//! The original KOI API (`/v1/setup`, `/v1/datasetup`, legacy `/v1/data`,
//! `/v1/index`) replayed with the exact shapes its clients send, checked
//! through the native API.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{Backend, TestApp, close, expect, plain_project, spawn_app};
use crate::on_both_backends;

on_both_backends!(
    setup_creates_reads_lists_replaces_and_deletes_projects,
    setup_takes_numeric_strings_and_descending_ranges_and_assigns_a_code,
    invalid_setups_name_the_original_field_and_store_nothing,
    legacy_push_and_index_share_the_native_computation,
    bad_legacy_pushes_are_enveloped_and_store_nothing,
    datasetup_creates_reads_and_updates_the_source_of_one_indicator,
    invalid_datasetups_are_enveloped_and_store_nothing,
    datasetup_test_extracts_one_value,
    malformed_json_on_facade_routes_gets_the_envelope,
);

/// Asserts HTTP 200 with code 0 and returns `data`.
pub async fn ok(response: Response) -> Value {
    let body = expect(response, StatusCode::OK).await;
    assert_eq!((body["code"].as_i64(), body["message"].as_str()), (Some(0), Some("ok")), "{body}");
    body["data"].clone()
}

/// Asserts a failure the way the original's clients read one: HTTP 200,
/// the envelope with code = the native status and a message containing
/// each of `needles`; returns the message.
pub async fn failed(response: Response, status: StatusCode, needles: &[&str]) -> String {
    failed_with(response, StatusCode::OK, status, needles).await
}

/// As `failed`, sent with HTTP status `sent` ([compat] http_error_status).
pub async fn failed_with(response: Response, sent: StatusCode, status: StatusCode, needles: &[&str]) -> String {
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let body = expect(response, sent).await;
    assert_eq!(content_type.as_deref(), Some("application/json"), "{body}");
    assert_eq!(body["code"], status.as_u16(), "{body}");
    assert!(body["data"].is_null(), "{body}");
    let message = body["message"].as_str().unwrap_or_default().to_string();
    for needle in needles {
        assert!(message.contains(needle), "{needle:?} not in {message:?}");
    }
    message
}

pub async fn delete_json(app: &TestApp, path: &str, body: &Value) -> Response {
    app.client.delete(format!("{}{path}", app.address)).json(body).send().await.expect("DELETE")
}

fn air(item_code: &str) -> Value {
    json!({
        "item_code": item_code, "title": "Air", "explain": "Station 12", "config": "{\"layout\":1}",
        "targets": [
            {"name": "pm25", "title": "PM2.5", "weight": 60, "ranges": [
                {"start_value": 0, "end_value": 50, "base_value": 100},
                {"start_value": 50, "end_value": 100, "base_value": 60}
            ]},
            {"name": "co2", "title": "CO2", "weight": 40, "ranges": []}
        ]
    })
}

async fn setup_creates_reads_lists_replaces_and_deletes_projects(backend: Backend) {
    let app = spawn_app(backend).await;

    let created = ok(app.post("/v1/setup", &air("air")).await).await;
    let native = expect(app.get("/v1/projects/air").await, StatusCode::OK).await;
    let one = ok(app.get("/v1/setup?itemcode=air").await).await;
    let mut replacement = air("air");
    replacement["targets"] = json!([{"name": "pm25", "title": "PM2.5", "weight": 100, "ranges": []}]);
    ok(app.post("/v1/setup", &replacement).await).await;
    let replaced = expect(app.get("/v1/projects/air").await, StatusCode::OK).await;
    app.create_project(plain_project("other")).await;
    let listed = ok(app.get("/v1/setup").await).await;
    ok(delete_json(&app, "/v1/setup", &json!({"itemcode": "air"})).await).await;

    assert_eq!(created, one);
    assert_eq!((one["item_code"].as_str(), one["explain"].as_str()), (Some("air"), Some("Station 12")));
    assert_eq!(one["config"], "", "config is not stored");
    assert_eq!(one["targets"][0]["ranges"][1], json!({"start_value": 50.0, "end_value": 100.0, "base_value": 60.0}));
    assert_eq!(native["description"], "Station 12");
    assert_eq!(native["weight_sum"], 100.0);
    assert_eq!(
        native["indicators"][0],
        json!({"key": "pm25", "title": "PM2.5", "unit": "", "weight": 60.0, "max_age_secs": null, "intervals": [
            {"start": 0.0, "end": 50.0, "score": 100.0}, {"start": 50.0, "end": 100.0, "score": 60.0}
        ]})
    );
    assert_eq!(
        (native["indicators"][1]["key"].as_str(), native["indicators"][1]["weight"].as_f64()),
        (Some("co2"), Some(40.0))
    );
    assert_eq!(replaced["indicators"].as_array().unwrap().len(), 1, "a POST with an existing item_code replaces");
    assert_eq!(replaced["revision"], 2);
    let codes: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["item_code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["air", "other"]);
    expect(app.get("/v1/projects/air").await, StatusCode::NOT_FOUND).await;
    failed(app.get("/v1/setup?itemcode=air").await, StatusCode::NOT_FOUND, &["air", "GET /v1/setup"]).await;
    failed(delete_json(&app, "/v1/setup", &json!({"itemcode": "air"})).await, StatusCode::NOT_FOUND, &["air"]).await;
}

async fn setup_takes_numeric_strings_and_descending_ranges_and_assigns_a_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json!({
        "item_code": "", "title": "Strings", "explain": "", "config": "",
        "targets": [{"name": "a", "title": "A", "weight": "75.5", "ranges": [
            {"start_value": "10", "end_value": "0", "base_value": "100"}
        ]}]
    });

    let created = ok(app.post("/v1/setup", &body).await).await;

    let code = created["item_code"].as_str().unwrap();
    assert!(!code.is_empty(), "{created}");
    let native = expect(app.get(&format!("/v1/projects/{code}")).await, StatusCode::OK).await;
    assert_eq!(native["indicators"][0]["weight"], 75.5);
    assert_eq!(native["indicators"][0]["intervals"], json!([{"start": 10.0, "end": 0.0, "score": 100.0}]));
    assert_eq!(created["targets"][0]["ranges"][0], json!({"start_value": 10.0, "end_value": 0.0, "base_value": 100.0}));
    assert_eq!(native["missing_policy"], "zero");

    let mut renormalized = native.clone();
    renormalized["missing_policy"] = json!("renormalize");
    for derived in ["revision", "weight_sum", "created_at", "updated_at"] {
        renormalized.as_object_mut().unwrap().remove(derived);
    }
    expect(app.put(&format!("/v1/projects/{code}"), &renormalized).await, StatusCode::OK).await;
    let mut again = body.clone();
    again["item_code"] = json!(code);
    ok(app.post("/v1/setup", &again).await).await;
    let kept = expect(app.get(&format!("/v1/projects/{code}")).await, StatusCode::OK).await;
    assert_eq!(kept["missing_policy"], "renormalize", "a policy the original cannot name is kept");
}

async fn invalid_setups_name_the_original_field_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut body = air("air");
        edit(&mut body);
        body
    };
    let cases = [
        (with(&|b| b["targets"][0]["weight"] = json!("abc")), vec!["targets[0].weight", "numeric string"]),
        (with(&|b| b["targets"][0]["weight"] = json!(-5)), vec!["targets[0].weight", ">= 0"]),
        (with(&|b| b["targets"][1]["name"] = json!("Bad Name")), vec!["targets[1].name", "slug"]),
        (with(&|b| b["targets"][1]["name"] = json!("pm25")), vec!["targets[1].name", "duplicate"]),
        (with(&|b| b["item_code"] = json!("Not A Slug")), vec!["item_code"]),
        (
            with(&|b| b["targets"][0]["ranges"][0]["end_value"] = json!("0")),
            vec!["targets[0].ranges[0].end_value", "start_value and end_value are both 0", "less than start_value"],
        ),
        (
            with(&|b| b["targets"][0]["ranges"][1]["start_value"] = json!(40)),
            vec!["targets[0].ranges[1]", "overlaps targets[0].ranges[0]"],
        ),
        (
            with(&|b| b["targets"][0]["ranges"][0]["base_value"] = json!(null)),
            vec!["targets[0].ranges[0].base_value", "required"],
        ),
    ];

    for (body, needles) in cases {
        failed(app.post("/v1/setup", &body).await, StatusCode::UNPROCESSABLE_ENTITY, &needles).await;
    }
    assert_eq!(ok(app.get("/v1/setup").await).await, json!([]));
}

async fn legacy_push_and_index_share_the_native_computation(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;

    let first =
        ok(app.post("/v1/data", &json!({"itemcode": "p", "name": "a", "value": "30", "form_info": {"x": 1}})).await)
            .await;
    let second =
        ok(app.post("/v1/data", &json!({"itemcode": "p", "name": "b", "value": 50, "form_info": ""})).await).await;
    let index = ok(app.get("/v1/index?itemcode=p").await).await;
    let native = expect(app.get("/v1/projects/p/index").await, StatusCode::OK).await;
    let native_push = app.push(json!({"project": "p", "values": {"a": 30}})).await;

    assert!(close(first["value"].as_f64().unwrap(), 18.0), "{first}");
    assert!(close(second["value"].as_f64().unwrap(), 38.0), "{second}");
    assert_eq!(index, native);
    assert!(close(native_push["value"].as_f64().unwrap(), 38.0), "native pushes are unchanged: {native_push}");
    let history = expect(app.get("/v1/projects/p/indicators/a/history").await, StatusCode::OK).await;
    assert_eq!(history["items"][0]["source"], "push");
}

async fn bad_legacy_pushes_are_enveloped_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let cases = [
        (
            json!({"itemcode": "nope", "name": "a", "value": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["itemcode", "nope"],
        ),
        (json!({"itemcode": "p", "name": "zz", "value": 1}), StatusCode::UNPROCESSABLE_ENTITY, vec!["name", "zz"]),
        (
            json!({"itemcode": "p", "name": "a", "value": "abc"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["value", "numeric"],
        ),
        (
            json!({"itemcode": "p", "name": "a", "value": "NaN"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["value", "finite"],
        ),
        (json!({"itemcode": "p", "value": 1}), StatusCode::UNPROCESSABLE_ENTITY, vec!["name", "itemcode"]),
    ];

    for (body, status, needles) in cases {
        failed(app.post("/v1/data", &body).await, status, &needles).await;
    }
    failed(app.get("/v1/index?itemcode=p").await, StatusCode::NOT_FOUND, &["no result yet"]).await;
    failed(app.get("/v1/index?itemcode=nope").await, StatusCode::NOT_FOUND, &["nope"]).await;
    failed(app.get("/v1/index").await, StatusCode::UNPROCESSABLE_ENTITY, &["itemcode"]).await;
    assert_eq!(app.result_count("p").await, 0);
}

fn datasetup(uri: &str, object: &str, state: Value) -> Value {
    json!({"item_code": "p", "target": "a", "uri": uri, "object": object, "get_time": "0 */5 * * * *", "state": state})
}

async fn datasetup_creates_reads_and_updates_the_source_of_one_indicator(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let none = ok(app.get("/v1/datasetup/target?item_code=p&target_name=a").await).await;

    let created = ok(app.post("/v1/datasetup", &datasetup("http://127.0.0.1:9/a", "data.a", json!("1"))).await).await;
    let read = ok(app.get("/v1/datasetup/target?item_code=p&target_name=a").await).await;
    let native = expect(app.get("/v1/remote").await, StatusCode::OK).await;
    let twice = app.post("/v1/datasetup", &datasetup("http://127.0.0.1:9/a", "data.a", json!(1))).await;
    failed(twice, StatusCode::CONFLICT, &["PUT /v1/datasetup"]).await;
    let updated = ok(app.put("/v1/datasetup", &datasetup("http://127.0.0.1:9/b", "$.x", json!("2"))).await).await;
    let after = expect(app.get("/v1/remote").await, StatusCode::OK).await;

    assert!(none.is_null(), "{none}");
    let expected = json!({"item_code": "p", "target": "a", "uri": "http://127.0.0.1:9/a", "object": "data.a", "get_time": "0 */5 * * * *", "state": 1});
    assert_eq!((created.clone(), read), (expected.clone(), expected));
    let source = &native["items"][0];
    assert_eq!(native["items"].as_array().unwrap().len(), 1);
    assert_eq!((source["project"].as_str(), source["url"].as_str()), (Some("p"), Some("http://127.0.0.1:9/a")));
    assert_eq!((source["method"].as_str(), source["enabled"].as_bool()), (Some("GET"), Some(true)));
    assert_eq!(source["mappings"], json!([{"indicator": "a", "path": "$.data.a"}]));
    assert_eq!(source["schedule"], "0 */5 * * * *");
    assert_eq!(
        (updated["uri"].as_str(), updated["object"].as_str(), updated["state"].as_i64()),
        (Some("http://127.0.0.1:9/b"), Some("x"), Some(2))
    );
    assert_eq!(after["items"].as_array().unwrap().len(), 1, "PUT updates, it does not add");
    assert_eq!(
        (after["items"][0]["id"].clone(), after["items"][0]["enabled"].as_bool()),
        (source["id"].clone(), Some(false))
    );
    assert!(ok(app.get("/v1/datasetup/target?item_code=p&target_name=b").await).await.is_null());
}

async fn invalid_datasetups_are_enveloped_and_store_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_project(plain_project("p")).await;
    let with = |field: &str, value: Value| {
        let mut body = datasetup("http://127.0.0.1:9/a", "data.a", json!(1));
        body[field] = value;
        body
    };
    let cases = [
        (with("uri", json!("ftp://host/x")), vec!["uri", "scheme"]),
        (with("get_time", json!("sometimes")), vec!["get_time", "cron"]),
        (with("object", json!("a..b")), vec!["object", "empty segment"]),
        (with("target", json!("zz")), vec!["target", "no indicator \"zz\""]),
        (with("item_code", json!("nope")), vec!["item_code", "nope"]),
        (with("state", json!("3")), vec!["state", "1 (enabled) or 2 (disabled)"]),
    ];

    for (body, needles) in cases {
        failed(app.post("/v1/datasetup", &body).await, StatusCode::UNPROCESSABLE_ENTITY, &needles).await;
    }
    failed(
        app.put("/v1/datasetup", &with("uri", json!("http://127.0.0.1:9/b"))).await,
        StatusCode::NOT_FOUND,
        &["POST /v1/datasetup"],
    )
    .await;
    failed(app.get("/v1/datasetup/target?item_code=nope&target_name=a").await, StatusCode::NOT_FOUND, &["nope"]).await;
    assert_eq!(expect(app.get("/v1/remote").await, StatusCode::OK).await["items"], json!([]));
}

async fn datasetup_test_extracts_one_value(backend: Backend) {
    let app = spawn_app(backend).await;
    let upstream = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/station"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"a": "42.5", "list": [1, 2]}})))
        .mount(&upstream)
        .await;
    let uri = format!("{}/station", upstream.uri());

    let value = ok(app.post("/v1/datasetup/test", &json!({"uri": uri, "object": "data.a"})).await).await;
    let missing = app.post("/v1/datasetup/test", &json!({"uri": uri, "object": "data.nope"})).await;
    let bad_uri = app.post("/v1/datasetup/test", &json!({"uri": "not a url", "object": "data.a"})).await;
    let down = app.post("/v1/datasetup/test", &json!({"uri": format!("{}/gone", upstream.uri()), "object": "a"})).await;

    assert_eq!(value, 42.5);
    failed(missing, StatusCode::UNPROCESSABLE_ENTITY, &["object", "matched nothing"]).await;
    failed(bad_uri, StatusCode::UNPROCESSABLE_ENTITY, &["uri"]).await;
    failed(down, StatusCode::BAD_GATEWAY, &["404"]).await;
    assert_eq!(expect(app.get("/v1/remote").await, StatusCode::OK).await["items"], json!([]));
}

async fn malformed_json_on_facade_routes_gets_the_envelope(backend: Backend) {
    let app = spawn_app(backend).await;

    for route in ["/v1/setup", "/v1/datasetup", "/v1/datasetup/test"] {
        failed(app.post_raw(route, "{not json").await, StatusCode::BAD_REQUEST, &["not valid JSON"]).await;
    }
    let no_type = app.client.post(format!("{}/v1/setup", app.address)).body("{}").send().await.unwrap();
    failed(no_type, StatusCode::UNSUPPORTED_MEDIA_TYPE, &["application/json"]).await;
    failed(app.post("/v1/setup", &json!({"targets": "nope"})).await, StatusCode::UNPROCESSABLE_ENTITY, &["body"]).await;
    assert_eq!(ok(app.get("/v1/setup").await).await, json!([]));
}
