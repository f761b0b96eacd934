//! `GET /v1/index?itemcode=X`: the latest composite result, as the native
//! `GET /v1/projects/{code}/index` computes it.

use actix_web::{HttpResponse, web};

use super::envelope::{Bare, CompatError, Envelope, Enveloped, ok};
use super::setup::{ItemQuery, load};
use crate::api::{ApiError, AppState};
use crate::store::{self, IndexResult};

/// The latest index of a project with its per-indicator breakdown.
#[utoipa::path(
    get,
    path = "/v1/index",
    tag = "compat",
    params(ItemQuery),
    responses(
        (status = 200, body = Envelope<IndexResult>),
        (status = 404, description = "No such project, or nothing computed yet", body = Bare),
        (status = 422, description = "`itemcode` missing", body = Bare),
    )
)]
pub async fn latest(
    state: web::Data<AppState>,
    query: Enveloped<web::Query<ItemQuery>>,
) -> Result<HttpResponse, CompatError> {
    let Some(code) = query.0.into_inner().itemcode else {
        return Err(ApiError::invalid("itemcode", "is required, e.g. GET /v1/index?itemcode=air").into());
    };
    let project = load(&state, &code).await?;
    match store::latest_result(&state.db, &project).await? {
        Some(result) => Ok(ok(result)),
        None => {
            Err(ApiError::NotFound(format!("project {code:?} has no result yet; push values with POST /v1/data"))
                .into())
        }
    }
}
