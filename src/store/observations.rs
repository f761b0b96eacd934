use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::bulk::{Insert, Rows};
use super::entity::observation_set;
use super::history_index::OBSERVATIONS_DATA;
use super::imports::visible;
use super::time::serialize_rfc3339;
use super::{Cursor, Page, PageRequest, from_micros};

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

/// The values of one push or pull, stored as one row; times in µs since
/// the epoch.
#[derive(Debug, Clone)]
pub struct NewObservations {
    pub project_id: i64,
    pub values: Vec<(String, f64)>,
    pub observed_at: i64,
    pub received_at: i64,
    pub source: String,
}

/// The rows storing `sets`, for `store::insert_all`; with `import`, hidden
/// until that import is published.
pub fn observation_rows(sets: &[NewObservations], import: Option<i64>) -> Rows<'static> {
    let rows = sets
        .iter()
        .map(|o| {
            let mut row = vec![
                o.project_id.into(),
                o.observed_at.into(),
                o.received_at.into(),
                o.source.as_str().into(),
                readings(&o.values).into(),
            ];
            row.extend(import.map(sea_orm::Value::from));
            row
        })
        .collect();
    const COLUMNS: &[&str] = &["project_id", "observed_at", "received_at", "source", "readings", "import_id"];
    let columns = if import.is_some() { COLUMNS } else { &COLUMNS[..5] };
    Rows { insert: Insert { table: OBSERVATIONS_DATA, columns, suffix: "" }, rows }
}

/// `{"key": value, ...}`; keys are slugs, so they need no escaping and a
/// `"key":` substring can only be that key.
fn readings(values: &[(String, f64)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        values.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(*v))).collect();
    serde_json::Value::Object(map).to_string()
}

pub async fn observation_history(
    db: &impl ConnectionTrait,
    project_id: i64,
    key: &str,
    page: &PageRequest,
) -> Result<Page<Observation>, DbErr> {
    let select = observation_set::Entity::find()
        .filter(observation_set::Column::ProjectId.eq(project_id))
        .filter(holding(key))
        .filter(visible());
    let rows = page.apply(select, observation_set::Column::ObservedAt, observation_set::Column::Id).all(db).await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let value = reading(&r.readings, key).ok_or_else(|| {
                DbErr::Custom(format!("observation set {} has unreadable readings for {key:?}", r.id))
            })?;
            Ok((r, value))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(page.finish(
        rows,
        |(r, _)| Cursor { key: r.observed_at, id: r.id },
        |(r, value)| Observation {
            value,
            observed_at: from_micros(r.observed_at),
            received_at: from_micros(r.received_at),
            source: r.source,
        },
    ))
}

/// Sets holding `key`: keys are slugs, so `"key":` can only be that key.
pub(super) fn holding(key: &str) -> SimpleExpr {
    let escaped: String =
        key.chars().flat_map(|c| matches!(c, '%' | '_' | '\\').then_some('\\').into_iter().chain([c])).collect();
    Expr::col(observation_set::Column::Readings).like(LikeExpr::new(format!("%\"{escaped}\":%")).escape('\\'))
}

pub(super) fn reading(readings: &str, key: &str) -> Option<f64> {
    let values: HashMap<&str, f64> = serde_json::from_str(readings).ok()?;
    values.get(key).copied()
}
