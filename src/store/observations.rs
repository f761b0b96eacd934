use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;

use super::entity::observation;
use super::{Cursor, Page, PageRequest, from_micros};
use crate::domain::{IndicatorSpec, Latest};

/// One stored value of one indicator.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Observation {
    pub value: f64,
    pub observed_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// `push` or `pull:<source id>`.
    pub source: String,
}

/// `values` are (indicator key, value, observed_at in µs).
pub async fn insert_observations(
    txn: &impl ConnectionTrait,
    project_id: i64,
    values: &[(String, f64, i64)],
    received_at: i64,
    source: &str,
) -> Result<(), DbErr> {
    if values.is_empty() {
        return Ok(());
    }
    let rows = values.iter().map(|(key, value, observed_at)| observation::ActiveModel {
        project_id: Set(project_id),
        indicator_key: Set(key.clone()),
        value: Set(*value),
        observed_at: Set(*observed_at),
        received_at: Set(received_at),
        source: Set(source.to_string()),
        ..Default::default()
    });
    observation::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

/// The latest observation of each key: newest `observed_at`, ties to the
/// last received. One indexed lookup per key.
pub async fn latest_values(
    db: &impl ConnectionTrait,
    project_id: i64,
    indicators: &[IndicatorSpec],
) -> Result<HashMap<String, Latest>, DbErr> {
    let mut latest = HashMap::new();
    for key in indicators.iter().map(|i| i.key.as_str()) {
        let row = observation::Entity::find()
            .filter(observation::Column::ProjectId.eq(project_id))
            .filter(observation::Column::IndicatorKey.eq(key))
            .order_by_desc(observation::Column::ObservedAt)
            .order_by_desc(observation::Column::Id)
            .one(db)
            .await?;
        if let Some(row) = row {
            latest.insert(key.to_string(), Latest { value: row.value, observed_at: from_micros(row.observed_at) });
        }
    }
    Ok(latest)
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
