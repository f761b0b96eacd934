//! API keys: only a hash of each secret is stored.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::api_key;
use super::{from_micros, to_micros};
use crate::domain::Role;

/// A key as the server knows it: never the secret.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub prefix: String,
    /// Empty: every project.
    pub projects: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What is stored for a new key.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub role: Role,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub projects: &'a [String],
}

pub async fn insert_key(db: &impl ConnectionTrait, key: NewKey<'_>) -> Result<ApiKey, DbErr> {
    let row = api_key::ActiveModel {
        name: Set(key.name.to_string()),
        role: Set(key.role.as_str().to_string()),
        prefix: Set(key.prefix.to_string()),
        secret_hash: Set(key.secret_hash.to_string()),
        projects: Set(serde_json::to_string(key.projects).map_err(|e| DbErr::Custom(e.to_string()))?),
        created_at: Set(to_micros(Utc::now())),
        revoked_at: Set(None),
        ..Default::default()
    };
    from_row(row.insert(db).await?)
}

/// Every key, revoked ones included, oldest first.
pub async fn list_keys(db: &impl ConnectionTrait) -> Result<Vec<ApiKey>, DbErr> {
    api_key::Entity::find().order_by_asc(api_key::Column::Id).all(db).await?.into_iter().map(from_row).collect()
}

/// The unrevoked key with this secret hash.
pub async fn find_active_key(db: &impl ConnectionTrait, secret_hash: &str) -> Result<Option<ApiKey>, DbErr> {
    api_key::Entity::find()
        .filter(api_key::Column::SecretHash.eq(secret_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
        .map(from_row)
        .transpose()
}

/// Revokes the key; `false` when there is no such key. Revoking twice
/// keeps the first revocation time.
pub async fn revoke_key(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    let Some(row) = api_key::Entity::find_by_id(id).one(db).await? else { return Ok(false) };
    if row.revoked_at.is_none() {
        let mut row: api_key::ActiveModel = row.into();
        row.revoked_at = Set(Some(to_micros(Utc::now())));
        row.update(db).await?;
    }
    Ok(true)
}

fn from_row(r: api_key::Model) -> Result<ApiKey, DbErr> {
    let bad = |what: String| DbErr::Custom(format!("API key {} has an unreadable {what}", r.id));
    Ok(ApiKey {
        id: r.id,
        role: r.role.parse().map_err(bad)?,
        projects: serde_json::from_str(&r.projects).map_err(|e| bad(format!("project list: {e}")))?,
        name: r.name,
        prefix: r.prefix,
        created_at: from_micros(r.created_at),
        revoked_at: r.revoked_at.map(from_micros),
    })
}
