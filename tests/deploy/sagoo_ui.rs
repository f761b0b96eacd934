//! The SagooIOT admin UI's calls, with the bodies its views build, replayed
//! through the committed nginx location (`/base-api/assess/` and
//! `/assess/`) in front of a KOI that requires keys, carrying the UI's own
//! session token as a bearer. Checked the way the UI's axios interceptor and
//! templates read the answers: HTTP 200 always, `code` 0 on success, a
//! non-zero code other than 401 and a message on failure, arrays never null.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{KOI, Sandbox, client, run, text, wait_healthy};
use crate::nginx::{Nginx, logs, start_koi_with};

/// What SagooIOT puts in `Authorization`: its own session, not a KOI key.
const SESSION: &str = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.c2Fnb28.c2lnbmF0dXJl";

struct Ui {
    client: reqwest::Client,
    base: String,
}

impl Ui {
    /// One call as the UI's axios instance sends it; the envelope back.
    async fn call(&self, verb: reqwest::Method, route: &str, body: Option<&Value>) -> Value {
        let mut request = self
            .client
            .request(verb.clone(), format!("{}{route}", self.base))
            .header("Authorization", SESSION)
            .header("Content-Type", "application/json");
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        let response = request.send().await.expect("request through nginx");
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or_else(|e| panic!("{verb} {route}: not JSON: {e}"));
        assert_eq!(status, StatusCode::OK, "{verb} {route}: the UI only reads 2xx answers: {answer}");
        assert!(answer["code"].is_u64() && answer["message"].is_string(), "{verb} {route}: {answer}");
        assert_ne!(answer["code"], 401, "{verb} {route}: 401 logs the SagooIOT user out: {answer}");
        answer
    }

    async fn ok(&self, verb: reqwest::Method, route: &str, body: Option<&Value>) -> Value {
        let answer = self.call(verb.clone(), route, body).await;
        assert_eq!(answer["code"], 0, "{verb} {route}: {answer}");
        answer["data"].clone()
    }

    /// A failure as the UI toasts it: the message, which must name `needle`.
    async fn refused(&self, verb: reqwest::Method, route: &str, body: Option<&Value>, needle: &str) -> u64 {
        let answer = self.call(verb.clone(), route, body).await;
        let code = answer["code"].as_u64().unwrap();
        assert_ne!(code, 0, "{verb} {route}: {answer}");
        assert!(answer["message"].as_str().unwrap().contains(needle), "{verb} {route}: {needle:?} in {answer}");
        code
    }
}

use reqwest::Method as M;

/// `targets` and every `ranges` are arrays and `base_value` is set: the
/// edit form calls `.push()`, `.length` and `.toString()` on them.
fn assert_form_safe(item: &Value) {
    let targets = item["targets"].as_array().unwrap_or_else(|| panic!("targets is not an array: {item}"));
    for target in targets {
        let ranges = target["ranges"].as_array().unwrap_or_else(|| panic!("ranges is not an array: {item}"));
        assert!(ranges.iter().all(|r| r["base_value"].is_number()), "{item}");
    }
}

fn create_ui_key(sandbox: &Sandbox) -> String {
    let out =
        run(Command::new(KOI).args(["key", "create", "--role", "admin", "--name", "sagoo-ui"]).envs(sandbox.koi_env()));
    assert!(out.status.success(), "koi key create: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn the_admin_ui_works_through_nginx_with_its_own_bearer() {
    let sandbox = Sandbox::new();
    let key = create_ui_key(&sandbox);
    // The file the nginx comments tell admins to write.
    sandbox.write("koi-ui-key.conf", &format!("set $koi_ui_key \"{key}\";\n"));
    let nginx = Nginx::configure(&sandbox);
    nginx.check(&sandbox);
    let _koi = start_koi_with(&sandbox, &[("KOI__AUTH__ENABLED", "true"), ("KOI__AUTOPULL__ALLOW_LOOPBACK", "true")]);
    let _nginx = nginx.start(&sandbox);
    let context = || logs(&sandbox);
    wait_healthy(&client(), &nginx.url(), context).await;
    let upstream = MockServer::start().await;
    let weather = json!({"Data": [{"TemperatureHigh": 21.5, "Frost": 0}]});
    Mock::given(method("GET"))
        .and(path("/weather"))
        .respond_with(ResponseTemplate::new(200).set_body_json(weather))
        .mount(&upstream)
        .await;
    let uri = format!("{}/weather", upstream.uri());
    let ui = Ui { client: client(), base: format!("{}/base-api/assess/v1", nginx.url()) };

    // 1. index.vue lists the items.
    assert_eq!(ui.ok(M::GET, "/setup", None).await, json!([]));

    // 3. editItem.vue, new item: item_code "" and, as before 2023-11, string bounds.
    let new_item = json!({
        "title": "Air", "explain": "Station 12", "config": "", "item_code": "",
        "targets": [
            {"name": "temp", "title": "Temperature", "weight": 60, "ranges": [
                {"start_value": "10", "end_value": "30", "base_value": 100}
            ]},
            {"name": "frost", "title": "Frost", "weight": 40, "ranges": []}
        ]
    });
    ui.ok(M::POST, "/setup", Some(&new_item)).await;
    let listed = ui.ok(M::GET, "/setup", None).await;
    let row = &listed.as_array().expect("the list is an array")[0];
    let code = row["item_code"].as_str().unwrap().to_string();
    assert!(!code.is_empty() && row["title"] == "Air" && row["explain"] == "Station 12", "{row}");

    // 2. editItem/detailItem read one item.
    let item = ui.ok(M::GET, &format!("/setup?itemcode={code}"), None).await;
    assert_form_safe(&item);
    assert_eq!(item["targets"][0]["ranges"][0], json!({"start_value": 10.0, "end_value": 30.0, "base_value": 100.0}));

    // 3. Edit: the object GET returned, with targets replaced.
    let mut edited = item.clone();
    edited["targets"] = json!([
        {"name": "temp", "title": "Temperature", "weight": 70, "ranges": [
            {"start_value": 10, "end_value": 30, "base_value": 100},
            {"start_value": 30, "end_value": 40, "base_value": 50}
        ]},
        {"name": "frost", "title": "Frost", "weight": 30, "ranges": []}
    ]);
    ui.ok(M::POST, "/setup", Some(&edited)).await;
    let reread = ui.ok(M::GET, &format!("/setup?itemcode={code}"), None).await;
    assert_form_safe(&reread);
    assert_eq!(
        (reread["targets"][0]["weight"].as_f64(), reread["targets"][0]["ranges"].as_array().unwrap().len()),
        (Some(70.0), 2)
    );

    // An input left empty arrives as '': refused, with the field named.
    let mut emptied = edited.clone();
    emptied["targets"][1]["weight"] = json!("");
    let code_422 = ui.refused(M::POST, "/setup", Some(&emptied), "targets[1].weight").await;
    assert_eq!(code_422, 422);

    // 5. setTask.vue: no source yet is null, so the form POSTs.
    let target = format!("/datasetup/target?item_code={code}&target_name=frost");
    assert_eq!(ui.ok(M::GET, &target, None).await, Value::Null);
    // 6. POST with state a number and a 6-field cron.
    let task = json!({"target": "frost", "uri": uri, "state": 1, "object": "Data.0.TemperatureHigh", "get_time": "*/30 * * * * *", "item_code": code});
    ui.ok(M::POST, "/datasetup", Some(&task)).await;
    let stored = ui.ok(M::GET, &target, None).await;
    assert_eq!((stored["uri"].as_str(), stored["state"].as_u64()), (Some(uri.as_str()), Some(1)), "{stored}");
    // 6b. PUT the object of call 5 with edits, nothing added.
    let mut changed = stored.clone();
    changed["state"] = json!(2);
    changed["object"] = json!("Data.0.Frost");
    ui.ok(M::PUT, "/datasetup", Some(&changed)).await;
    let after = ui.ok(M::GET, &target, None).await;
    assert_eq!((after["state"].as_u64(), after["object"].as_str()), (Some(2), Some("Data.0.Frost")), "{after}");

    // 7. The test button shows the extracted scalar as is, 0 included.
    let high = ui.ok(M::POST, "/datasetup/test", Some(&json!({"uri": uri, "object": "Data.0.TemperatureHigh"}))).await;
    let frost = ui.ok(M::POST, "/datasetup/test", Some(&json!({"uri": uri, "object": "Data.0.Frost"}))).await;
    assert_eq!((high, frost), (json!(21.5), json!(0.0)));
    ui.refused(M::POST, "/datasetup/test", Some(&json!({"uri": uri, "object": "Data.0.Nope"})), "object").await;

    // Producers and applications (detailItem.vue's documentation), through
    // the local-build prefix /assess/v1.
    let local = Ui { client: client(), base: format!("{}/assess/v1", nginx.url()) };
    local.ok(M::POST, "/data", Some(&json!({"itemcode": code, "name": "temp", "value": "20", "form_info": {}}))).await;
    let index = local.ok(M::GET, &format!("/index?itemcode={code}"), None).await;
    assert!(index["value"].is_number(), "{index}");
    let history = local.ok(M::GET, &format!("/history?itemcode={code}"), None).await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
    let targets = local.ok(M::GET, &format!("/index/targets?itemcode={code}"), None).await;
    assert_eq!(targets[0]["name"], "temp");

    // 4. index.vue deletes with a JSON body.
    ui.ok(M::DELETE, "/setup", Some(&json!({"itemcode": code}))).await;
    assert_eq!(ui.ok(M::GET, "/setup", None).await, json!([]));
    let gone = ui.refused(M::GET, &format!("/setup?itemcode={code}"), None, &code).await;
    assert_eq!(gone, 404);

    // The key is added to the original API's routes only: nothing else is
    // reachable with it.
    let keys = client().get(format!("{}/base-api/assess/v1/keys", nginx.url())).send().await.unwrap();
    assert_eq!(keys.status(), StatusCode::UNAUTHORIZED);
    // Elsewhere the UI's bearer is not a key, and the answer says what to do.
    let native = Ui { client: client(), base: format!("{}/v1", nginx.url()) };
    let refused = native.refused(M::GET, "/setup", None, "X-API-Key").await;
    assert_eq!(refused, 403);
}

#[tokio::test]
async fn without_the_key_file_the_ui_is_told_how_to_set_it_up() {
    let sandbox = Sandbox::new();
    let nginx = Nginx::configure(&sandbox);
    nginx.check(&sandbox);
    let _koi = start_koi_with(&sandbox, &[("KOI__AUTH__ENABLED", "true")]);
    let _nginx = nginx.start(&sandbox);
    wait_healthy(&client(), &nginx.url(), || logs(&sandbox)).await;
    let ui = Ui { client: client(), base: format!("{}/base-api/assess/v1", nginx.url()) };

    let code = ui.refused(M::GET, "/setup", None, "koi key create").await;

    assert_eq!(code, 403);
}
