//! The OpenAPI document and the offline docs UI.

use actix_web::{HttpResponse, web};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOf, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::responses::{OPEN, SharedResponses};
use super::{
    alerts, compat, data, dry_run, events, health, import, index, indicators, jobs, keys, overview, preview, projects,
    remote, retention, whoami,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "KOI", description = "Key Operate Index: composite scores from pushed and pulled metrics."),
    paths(
        health::health,
        health::ready,
        health::metrics,
        projects::create_project,
        projects::list_projects,
        projects::get_project,
        projects::replace_project,
        projects::delete_project,
        projects::upsert_indicator,
        projects::remove_indicator,
        data::push,
        index::latest,
        index::history,
        events::events,
        overview::overview,
        import::import,
        jobs::rescore,
        jobs::get,
        jobs::list,
        preview::preview,
        indicators::states,
        indicators::history,
        retention::get_retention,
        retention::put_retention,
        remote::list,
        remote::create,
        remote::get,
        remote::replace,
        remote::remove,
        remote::pull_now,
        dry_run::test,
        keys::create,
        keys::list,
        keys::revoke,
        whoami::whoami,
        alerts::create,
        alerts::list,
        alerts::history,
        alerts::get,
        alerts::replace,
        alerts::remove,
        alerts::active,
        compat::setup::get,
        compat::setup::save,
        compat::setup::remove,
        compat::datasetup::target,
        compat::datasetup::create,
        compat::datasetup::update,
        compat::datasetup::test,
        compat::index::latest,
        compat::index::targets,
        compat::history::history,
    ),
    components(schemas(compat::data::LegacyPush)),
    modifiers(&LegacyPushNote, &KeyScheme, &SharedResponses, &UntaggedUnions, &ErrorEnvelopes),
    security(("api_key" = []), ("x_api_key" = [])),
    tags(
        (name = "projects", description = "Admin: indices and their indicators"),
        (name = "data", description = "Producers push values"),
        (name = "index", description = "Computed index and its history"),
        (name = "indicators", description = "Latest values and their history"),
        (name = "remote", description = "Pull sources and the autopull worker"),
        (name = "alerts", description = "Alert rules per project, active alerts and their history; notifications \
            go to Alertmanager and signed webhooks ([alerts] in config.toml)"),
        (name = "keys", description = "Admin: API keys. Send a key as `Authorization: Bearer KEY` or `X-API-Key: KEY`; \
            roles admin (everything), ingest (POST /v1/data), read (GET of projects, index, indicators, /v1/index)."),
        (name = "operations", description = "Probes"),
        (name = "compat", description = "Drop-in routes of the original KOI service (SagooIOT UI and producers): \
            original shapes, numbers or numeric strings, answers in {code, message, data} with code 0 on success. \
            Errors are sent as HTTP 200 (as the original did) with code = the HTTP status the error has natively \
            (403 for a missing or unknown key, never 401) and a message saying what to fix; \
            [compat] http_error_status = true sends that status instead. The statuses below are those codes. POST /v1/data also takes the original {itemcode, name, value, form_info}."),
    )
)]
struct ApiDoc;

/// `POST /v1/data` is one operation shared by native and original
/// producers, and OpenAPI allows one per method and path, so the original
/// body is described on the native operation.
struct LegacyPushNote;

impl Modify for LegacyPushNote {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(push) = openapi.paths.paths.get_mut("/v1/data").and_then(|item| item.post.as_mut()) else { return };
        let note = "Also accepts the original KOI body `{\"itemcode\", \"name\", \"value\", \"form_info\"}` \
                    (schema `LegacyPush`, tag `compat`), answered in the `{code, message, data}` envelope.";
        push.description = Some(match push.description.take() {
            Some(text) => format!("{text}\n\n{note}"),
            None => note.into(),
        });
    }
}

/// API keys, as a bearer token or an `X-API-Key` header; the probes need
/// none, so their operations say so.
struct KeyScheme;

impl Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API key")).build();
        components.add_security_scheme("api_key", SecurityScheme::Http(bearer));
        components
            .add_security_scheme("x_api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))));
        for open in OPEN {
            if let Some(get) = openapi.paths.paths.get_mut(open).and_then(|item| item.get.as_mut()) {
                get.security = Some(Vec::new());
            }
        }
    }
}

/// KOI's unions are untagged, and some of their variants can hold the
/// same JSON (an empty page of points is also an empty page of buckets),
/// which `oneOf` forbids: they are `anyOf`.
struct UntaggedUnions;

impl Modify for UntaggedUnions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.schemas.values_mut().for_each(any_of);
        }
    }
}

fn any_of(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else { return };
    match schema {
        Schema::OneOf(one) => {
            let mut any = AnyOf::new();
            any.items = std::mem::take(&mut one.items);
            any.description = one.description.take();
            any.items.iter_mut().for_each(any_of);
            *schema = Schema::AnyOf(any);
        }
        Schema::Object(object) => object.properties.values_mut().for_each(any_of),
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                any_of(items);
            }
        }
        Schema::AllOf(all) => all.items.iter_mut().for_each(any_of),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(any_of),
        _ => {}
    }
}

/// A façade error comes as `{code, message, data: null}` with HTTP 200
/// unless `[compat] http_error_status` is on: every envelope's `data` may
/// be null. (Envelopes are generic, which `nullable` does not reach.)
struct ErrorEnvelopes;

impl Modify for ErrorEnvelopes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else { return };
        for (_, schema) in components.schemas.iter_mut().filter(|(name, _)| name.starts_with("Envelope_")) {
            if let RefOr::T(Schema::Object(envelope)) = schema
                && let Some(data) = envelope.properties.get_mut("data")
                && !admits_null(data)
            {
                let mut nullable = AnyOf::new();
                let null = ObjectBuilder::new().schema_type(Type::Null).build();
                nullable.items = vec![std::mem::replace(data, RefOr::T(Schema::default())), null.into()];
                *data = RefOr::T(Schema::AnyOf(nullable));
            }
        }
    }
}

/// An `Option` already says null (as one of its `anyOf`, see `UntaggedUnions`).
fn admits_null(schema: &RefOr<Schema>) -> bool {
    let RefOr::T(Schema::AnyOf(any)) = schema else { return false };
    any.items.iter().any(|item| matches!(item, RefOr::T(Schema::Object(o)) if o.schema_type == Type::Null.into()))
}

/// The document served at `/openapi.json` and committed under `openapi/`.
pub fn openapi_json() -> String {
    ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serialises")
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/docs",
        web::get().to(|| async { HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish() }),
    )
    .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", ApiDoc::openapi()));
}
