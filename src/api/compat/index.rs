//! `GET /v1/index?itemcode=X`: the latest composite result, as the native
//! `GET /v1/projects/{code}/index` computes it; `GET /v1/index/targets`:
//! each indicator's latest value, as `GET /v1/projects/{code}/indicators`.

use actix_web::{HttpResponse, web};

use super::envelope::{Bare, CompatError, Envelope, Enveloped, ok};
use super::setup::{ItemQuery, load};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::indicators::{IndicatorState, states_of};
use crate::api::{ApiError, AppState};
use crate::store::{self, IndexResult, Project};

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
    let project = required(&state, query.0.into_inner(), "/v1/index").await?;
    let code = &project.code;
    match store::latest_result(&state.db, &project).await? {
        Some(result) => Ok(ok(result)),
        None => {
            Err(ApiError::NotFound(format!("project {code:?} has no result yet; push values with POST /v1/data"))
                .into())
        }
    }
}

/// One target (indicator) as it stands now: the native state with the
/// original's word for its key.
#[derive(Debug, Serialize, ToSchema)]
pub struct TargetState {
    /// The target's name (the native `key`, also present).
    pub name: String,
    #[serde(flatten)]
    pub state: IndicatorState,
}

/// Every target's latest value and status, evaluated now.
#[utoipa::path(
    get,
    path = "/v1/index/targets",
    tag = "compat",
    params(ItemQuery),
    responses(
        (status = 200, body = Envelope<Vec<TargetState>>),
        (status = 404, description = "No such project", body = Bare),
        (status = 422, description = "`itemcode` missing", body = Bare),
    )
)]
pub async fn targets(
    state: web::Data<AppState>,
    query: Enveloped<web::Query<ItemQuery>>,
) -> Result<HttpResponse, CompatError> {
    let project = required(&state, query.0.into_inner(), "/v1/index/targets").await?;
    let states = states_of(&state, &project).await?.into_iter().map(|s| TargetState { name: s.key.clone(), state: s });
    Ok(ok(states.collect::<Vec<_>>()))
}

async fn required(state: &AppState, query: ItemQuery, route: &str) -> Result<Project, CompatError> {
    let Some(code) = query.itemcode else {
        return Err(ApiError::invalid("itemcode", format!("is required, e.g. GET {route}?itemcode=air")).into());
    };
    load(state, &code).await
}
