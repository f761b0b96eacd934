//! `GET /v1/history?itemcode=X`: the index history (or, with `name`, one
//! indicator's), as the native history routes answer it, in the envelope.
//! The original design promised both to applications; the SagooIOT list
//! page called this route for a while in 2022.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::envelope::{Bare, CompatError, Envelope, Enveloped, ok};
use super::setup::load;
use crate::api::index::{Downsample, History, history_of};
use crate::api::indicators::observations_of;
use crate::api::params::RangeParams;
use crate::api::{ApiError, AppState};
use crate::store::{Observation, Page};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The project's item code (`item_code` is accepted too).
    #[serde(alias = "item_code")]
    pub itemcode: Option<String>,
    /// An indicator (target) name: its stored values instead of the index.
    pub name: Option<String>,
}

/// The index over time, or one indicator's values; paged like the native
/// routes (`next_cursor` → `cursor`).
#[utoipa::path(
    get,
    path = "/v1/history",
    tag = "compat",
    params(HistoryQuery, RangeParams, Downsample),
    responses(
        (status = 200, description = "Index points or buckets; with `name`, the indicator's values", body = Envelope<History>),
        (status = 404, description = "No such project or indicator", body = Bare),
        (status = 422, description = "`itemcode` missing, or a bad range or step", body = Bare),
    )
)]
pub async fn history(
    state: web::Data<AppState>,
    query: Enveloped<web::Query<HistoryQuery>>,
    range: Enveloped<web::Query<RangeParams>>,
    down: Enveloped<web::Query<Downsample>>,
) -> Result<HttpResponse, CompatError> {
    let HistoryQuery { itemcode, name } = query.0.into_inner();
    let Some(code) = itemcode else {
        return Err(ApiError::invalid("itemcode", "is required, e.g. GET /v1/history?itemcode=air&limit=100").into());
    };
    let project = load(&state, &code).await?;
    let Some(name) = name else {
        return Ok(ok(history_of(&state, &project, &range.0, &down.0).await?));
    };
    if down.0.step.is_some() || down.0.agg.is_some() {
        return Err(ApiError::invalid("step", "applies to the index history only; leave out name or step").into());
    }
    let values: Page<Observation> = observations_of(&state, &project, &name, &range.0).await?;
    Ok(ok(values))
}
