//! Answers an operation can give whatever its handler does: the key check
//! (401, 403, 429), the database being down (503), actix's extractors
//! (a body that is not JSON or not the expected shape, a path or query
//! parameter that does not parse) and the 404 of a path that matches no
//! route. `docs.rs` adds them to every operation that does not document the
//! status itself, so clients (and the schemathesis run of
//! `scripts/reliability.sh`) know every status they may get.

use utoipa::Modify;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AnyOfBuilder, Object, Ref, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr, Response, ResponseBuilder};

/// Routes that need no key and read no request: no key errors, no 503.
pub(super) const OPEN: [&str; 3] = ["/health", "/ready", "/metrics"];

/// Shared answers, `(status, component name, description)`.
const KEY_CHECK: [(&str, &str, &str); 3] = [
    ("401", "Unauthorized", "API key missing, unknown or revoked (when keys are required)"),
    ("403", "Forbidden", "The key's role or projects do not allow this"),
    ("429", "RateLimited", "The key is over its rate limit; retry after `Retry-After` seconds"),
];
const UNAVAILABLE: (&str, &str, &str) =
    ("503", "Unavailable", "The database cannot be reached; nothing was stored, retry after `Retry-After` seconds");
const BODY: [(&str, &str, &str); 4] = [
    ("400", "Malformed", "Malformed request: the body is not JSON, or a path parameter does not parse"),
    ("413", "TooLarge", "The body is larger than [server] max_body_bytes"),
    ("415", "UnsupportedMediaType", "The body is not sent as Content-Type: application/json"),
    ("422", "Invalid", "Invalid request; `errors` names each field"),
];
const PATH: [(&str, &str, &str); 2] = [
    ("400", "Malformed", "Malformed request: the body is not JSON, or a path parameter does not parse"),
    ("404", "NotFound", "Nothing at this path"),
];
const QUERY: (&str, &str, &str) = ("422", "Invalid", "Invalid request; `errors` names each field");

pub struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let all = KEY_CHECK.iter().chain([&UNAVAILABLE]).chain(&BODY).chain(&PATH).chain([&QUERY]);
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in all {
            components.responses.insert(name.to_string(), RefOr::T(response(status, description, false)));
            components.responses.insert(format!("Compat{name}"), RefOr::T(response(status, description, true)));
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                complete(path, operation);
            }
        }
        any_of("History", openapi);
    }
}

/// Adds the shared answers `operation` can give and does not document.
fn complete(path: &str, operation: &mut Operation) {
    if OPEN.contains(&path) {
        return;
    }
    let compat = operation.tags.iter().flatten().any(|t| t == "compat");
    let takes = |place: ParameterIn| {
        operation.parameters.iter().flatten().any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
    };
    let mut shared: Vec<&(&str, &str, &str)> = KEY_CHECK.iter().chain([&UNAVAILABLE]).collect();
    if operation.request_body.is_some() {
        shared.extend(&BODY);
    }
    if takes(ParameterIn::Path) {
        shared.extend(&PATH);
    }
    if takes(ParameterIn::Query) {
        shared.push(&QUERY);
    }
    for (status, name, _) in shared {
        let name = if compat { format!("Compat{name}") } else { name.to_string() };
        let reference = RefOr::Ref(Ref::new(format!("#/components/responses/{name}")));
        operation.responses.responses.entry(status.to_string()).or_insert(reference);
    }
}

/// A native error is a problem document; the façade's is its envelope.
fn response(status: &str, description: &str, compat: bool) -> Response {
    let (schema, content_type) =
        if compat { ("Bare", "application/json") } else { ("Problem", "application/problem+json") };
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(content_type, utoipa::openapi::Content::new(Some(Ref::from_schema_name(schema))))
        .build();
    let header = |description: &str, kind: Type| {
        HeaderBuilder::new().schema(Some(Object::with_type(kind))).description(Some(description)).build()
    };
    match status {
        "401" => {
            response.headers.insert("WWW-Authenticate".into(), RefOr::T(header("`Bearer`", Type::String)));
        }
        "429" | "503" => {
            let retry = header("Seconds to wait before retrying", Type::Integer);
            response.headers.insert("Retry-After".into(), RefOr::T(retry));
        }
        _ => {}
    }
    response
}

/// An untagged enum whose variants can match the same value (an empty page
/// is both a page of points and a page of buckets) is `anyOf`, not the
/// `oneOf` utoipa derives, which a validator rejects when both match.
fn any_of(name: &str, openapi: &mut OpenApi) {
    let Some(schemas) = openapi.components.as_mut().map(|c| &mut c.schemas) else { return };
    let Some(RefOr::T(Schema::OneOf(one_of))) = schemas.get(name) else { return };
    let any = one_of.items.iter().cloned().fold(AnyOfBuilder::new(), AnyOfBuilder::item);
    let any = any.description(one_of.description.clone()).build();
    schemas.insert(name.to_string(), RefOr::T(Schema::AnyOf(any)));
}
