//! Drop-in façade for clients of the original KOI service (the SagooIOT
//! admin UI and its producers): their routes and shapes, answered in the
//! `{code, message, data}` envelope, mapped onto the native services.
//! No logic lives here beyond the mapping.

// Visible to `api` so that docs.rs can list the handlers.
pub(super) mod data;
pub(super) mod datasetup;
pub(super) mod envelope;
pub(super) mod history;
pub(super) mod index;
mod numbers;
pub(super) mod setup;
mod statuses;

use actix_web::web;

use crate::api::ApiError;

pub use data::{is_legacy_push, legacy_push};
pub use statuses::statuses;

/// Whether `path` is one of the original API's own routes (whose clients
/// read errors from the envelope).
pub fn serves(path: &str) -> bool {
    ["/v1/setup", "/v1/datasetup", "/v1/index", "/v1/history"]
        .iter()
        .any(|r| path == *r || path.starts_with(&format!("{r}/")))
}

/// A refusal of the auth middleware answered the façade way: same headers
/// (such as `Retry-After`), enveloped body. A missing key is most likely
/// a proxy not yet set up to add it, so the message says how.
pub fn envelope_error(e: &ApiError) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let native = e.error_response();
    let compat = match e {
        ApiError::Unauthorized(why) => envelope::CompatError::new(
            native.status(),
            format!(
                "{why}; the original API's clients (such as the SagooIOT admin UI) get the key from the \
                 reverse proxy: create one with `koi key create --role admin --name sagoo-ui` and have nginx \
                 send it as X-API-Key (README, \"Migrating from the original KOI\")"
            ),
        ),
        other => envelope::CompatError::of(other),
    };
    let mut response = compat.error_response();
    for (name, value) in native.headers() {
        if name != actix_web::http::header::CONTENT_TYPE {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    response
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/setup")
            .route(web::get().to(setup::get))
            .route(web::post().to(setup::save))
            .route(web::delete().to(setup::remove)),
    )
    .service(
        web::resource("/v1/datasetup").route(web::post().to(datasetup::create)).route(web::put().to(datasetup::update)),
    )
    .service(web::resource("/v1/datasetup/target").route(web::get().to(datasetup::target)))
    .service(web::resource("/v1/datasetup/test").route(web::post().to(datasetup::test)))
    .service(web::resource("/v1/index").route(web::get().to(index::latest)))
    .service(web::resource("/v1/index/targets").route(web::get().to(index::targets)))
    .service(web::resource("/v1/history").route(web::get().to(history::history)));
}
