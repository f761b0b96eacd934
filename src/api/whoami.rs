//! What the calling key may do, so a dashboard shows only what works.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::auth::Caller;
use crate::domain::Role;

#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    /// Whether this server requires API keys.
    pub keys_required: bool,
    /// The key's role; `admin` when keys are not required (anyone may do
    /// everything).
    pub role: Role,
    /// The projects the key is limited to; empty: every project.
    pub projects: Vec<String>,
}

/// The calling key's role and projects. Any valid key may ask.
#[utoipa::path(tag = "keys", responses((status = 200, body = WhoAmI)))]
#[get("/v1/whoami")]
pub async fn whoami(state: web::Data<AppState>, caller: Caller) -> web::Json<WhoAmI> {
    web::Json(WhoAmI {
        keys_required: state.settings.auth_enabled(),
        role: caller.role().unwrap_or(Role::Admin),
        projects: caller.projects().to_vec(),
    })
}
