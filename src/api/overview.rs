//! One card per project for the dashboard's overview: a thousand projects
//! in one request instead of a thousand `GET …/index`.

use std::collections::HashMap;

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use super::problem::ApiError;
use crate::store;

/// Projects read per round trip while collecting the cards.
const PAGE: u64 = 1000;

/// A project and its newest point.
#[derive(Debug, Serialize, ToSchema)]
pub struct Card {
    pub code: String,
    pub title: String,
    pub indicators: usize,
    /// The newest index value; absent before the first push.
    pub value: Option<f64>,
    pub coverage: Option<f64>,
    /// Event time of the newest point.
    pub at: Option<DateTime<Utc>>,
}

/// Every project (a key limited to some projects sees theirs) with its
/// newest index value, ordered by code.
#[utoipa::path(tag = "index", responses((status = 200, body = Vec<Card>)))]
#[get("/v1/overview")]
pub async fn overview(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<Card>>, ApiError> {
    let mut newest: HashMap<String, store::IndexNow> =
        store::newest_points(&state.db).await?.into_iter().map(|p| (p.project.clone(), p)).collect();
    let mut cards = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store::list_projects(&state.db, PAGE, after.as_deref()).await?;
        let last = page.len() < PAGE as usize;
        after = page.last().map(|p| p.code.clone());
        for project in page {
            if caller.may_use(&project.code).is_err() {
                continue;
            }
            let point = newest.remove(&project.code);
            cards.push(Card {
                indicators: project.indicators.len(),
                value: point.as_ref().map(|p| p.value),
                coverage: point.as_ref().map(|p| p.coverage),
                at: point.map(|p| p.at),
                code: project.code,
                title: project.title,
            });
        }
        if last {
            return Ok(web::Json(cards));
        }
    }
}
