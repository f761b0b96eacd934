//! The OpenAPI document and the offline docs UI.

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use super::{data, health, index, indicators, projects, remote};

#[derive(OpenApi)]
#[openapi(
    info(title = "KOI", description = "Key Operate Index: composite scores from pushed and pulled metrics."),
    paths(
        health::health,
        health::ready,
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
        indicators::states,
        indicators::history,
        remote::list,
        remote::create,
        remote::get,
        remote::replace,
        remote::remove,
        remote::pull_now,
        remote::test,
    ),
    tags(
        (name = "projects", description = "Admin: indices and their indicators"),
        (name = "data", description = "Producers push values"),
        (name = "index", description = "Computed index and its history"),
        (name = "indicators", description = "Latest values and their history"),
        (name = "remote", description = "Pull sources and the autopull worker"),
        (name = "operations", description = "Probes"),
    )
)]
struct ApiDoc;

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
