use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::bulk::insert_rows;
use super::entity::{latest_value, observation};
use super::time::serialize_rfc3339;
use super::{Cursor, Page, PageRequest, from_micros, to_micros};
use crate::domain::Latest;

/// One stored value of one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Observation {
    pub value: f64,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub observed_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub received_at: DateTime<Utc>,
    /// `push` or `pull:<source id>`.
    pub source: String,
}

/// A value to store; times in µs since the epoch.
#[derive(Debug, Clone)]
pub struct NewObservation {
    pub project_id: i64,
    pub key: String,
    pub value: f64,
    pub observed_at: i64,
    pub received_at: i64,
    pub source: String,
}

pub async fn insert_observations(txn: &impl ConnectionTrait, rows: &[NewObservation]) -> Result<(), DbErr> {
    let values = rows
        .iter()
        .map(|o| {
            vec![
                o.project_id.into(),
                o.key.as_str().into(),
                o.value.into(),
                o.observed_at.into(),
                o.received_at.into(),
                o.source.as_str().into(),
            ]
        })
        .collect();
    let columns = ["project_id", "indicator_key", "value", "observed_at", "received_at", "source"];
    insert_rows(txn, "observations", &columns, values, "").await
}

/// Each indicator's latest observation: newest `observed_at`, ties to the
/// last received.
pub async fn latest_values(db: &impl ConnectionTrait, project_id: i64) -> Result<HashMap<String, Latest>, DbErr> {
    let rows = latest_value::Entity::find().filter(latest_value::Column::ProjectId.eq(project_id)).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.indicator_key, Latest { value: r.value, observed_at: from_micros(r.observed_at) }))
        .collect())
}

/// Writes the given latest values of a project (the caller holds the
/// project's lock, so what it computed is authoritative).
pub async fn save_latest(
    txn: &impl ConnectionTrait,
    project_id: i64,
    latest: &[(&String, &Latest)],
) -> Result<(), DbErr> {
    let values = latest
        .iter()
        .map(|(key, l)| vec![project_id.into(), key.as_str().into(), l.value.into(), to_micros(l.observed_at).into()])
        .collect();
    let upsert = "ON CONFLICT (project_id, indicator_key) DO UPDATE SET value = excluded.value, observed_at = excluded.observed_at";
    insert_rows(txn, "latest_values", &["project_id", "indicator_key", "value", "observed_at"], values, upsert).await
}

pub async fn observation_history(
    db: &impl ConnectionTrait,
    project_id: i64,
    key: &str,
    page: &PageRequest,
) -> Result<Page<Observation>, DbErr> {
    let select = observation::Entity::find()
        .filter(observation::Column::ProjectId.eq(project_id))
        .filter(observation::Column::IndicatorKey.eq(key));
    let rows = page.apply(select, observation::Column::ObservedAt, observation::Column::Id).all(db).await?;
    Ok(page.finish(
        rows,
        |r| Cursor { key: r.observed_at, id: r.id },
        |r| Observation {
            value: r.value,
            observed_at: from_micros(r.observed_at),
            received_at: from_micros(r.received_at),
            source: r.source,
        },
    ))
}
