//! `/v1/keys`: API keys, managed by admins. A secret is shown once, when
//! its key is created.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::keys;
use super::problem::{ApiError, Problem};
use crate::domain::Role;
use crate::store::{self, ApiKey, Page};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// Who or what uses the key.
    #[schema(example = "station 12")]
    pub name: String,
    pub role: Role,
    /// Limits the key to these projects; empty or absent: every project.
    #[serde(default)]
    pub projects: Vec<String>,
}

/// A key without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The secret's first characters, to tell keys apart.
    #[schema(example = "koi_3f9a1c2e")]
    pub prefix: String,
    pub projects: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key with its secret: the only time the secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: KeyView,
    /// Send as `Authorization: Bearer …` or `X-API-Key: …`.
    pub secret: String,
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            role: k.role,
            prefix: k.prefix,
            projects: k.projects,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// Create an API key; the answer holds its secret, shown only this once.
#[utoipa::path(
    tag = "keys",
    request_body = KeyRequest,
    responses(
        (status = 201, body = CreatedKey),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/keys")]
pub async fn create(state: web::Data<AppState>, body: web::Json<KeyRequest>) -> Result<HttpResponse, ApiError> {
    let req = body.into_inner();
    let errors = keys::validate(&req.name, &req.projects);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let (key, secret) = keys::create(&state.db, req.name.trim(), req.role, &req.projects).await?;
    tracing::info!(key = key.id, role = %key.role, "API key created");
    Ok(HttpResponse::Created().json(CreatedKey { key: key.into(), secret }))
}

/// List API keys, revoked ones included; secrets are never shown.
#[utoipa::path(tag = "keys", responses((status = 200, body = Page<KeyView>)))]
#[get("/v1/keys")]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<Page<KeyView>>, ApiError> {
    let items = store::list_keys(&state.db).await?.into_iter().map(Into::into).collect();
    Ok(web::Json(Page { items, next_cursor: None }))
}

/// Revoke an API key; it stops working at once on this server.
#[utoipa::path(
    tag = "keys",
    params(("id" = i64, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[delete("/v1/keys/{id}")]
pub async fn revoke(state: web::Data<AppState>, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    if !store::revoke_key(&state.db, *id).await? {
        return Err(ApiError::NotFound(format!("no API key {id}; list them with GET /v1/keys")));
    }
    state.gate.forget(*id);
    tracing::info!(key = *id, "API key revoked");
    Ok(HttpResponse::NoContent().finish())
}
