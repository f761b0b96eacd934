//! Each project's latest value of every indicator, kept by the ingest
//! transaction in one row per project so that scoring reads one row
//! instead of searching the history, and a push writes one row instead of
//! one per indicator.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::bulk::{Insert, Rows};
use super::entity::project_latest;
use super::{from_micros, to_micros};
use crate::domain::Latest;

/// Each indicator's latest observation: newest `observed_at`, ties to the
/// last received.
pub async fn latest_values(db: &impl ConnectionTrait, project_id: i64) -> Result<HashMap<String, Latest>, DbErr> {
    let Some(row) = project_latest::Entity::find_by_id(project_id).one(db).await? else {
        return Ok(HashMap::new());
    };
    parse_readings(project_id, &row.readings)
}

/// A project's `project_latest.readings`.
pub(super) fn parse_readings(project_id: i64, text: &str) -> Result<HashMap<String, Latest>, DbErr> {
    let readings: HashMap<String, (f64, i64)> = serde_json::from_str(text)
        .map_err(|e| DbErr::Custom(format!("unreadable latest values of project {project_id}: {e}")))?;
    Ok(readings.into_iter().map(|(key, (value, at))| (key, Latest { value, observed_at: from_micros(at) })).collect())
}

/// The rows replacing the latest values of the given projects, for
/// `store::insert_all`; the caller holds the projects' locks, so what it
/// computed is authoritative.
pub fn latest_rows<'a>(latest: impl IntoIterator<Item = (i64, &'a HashMap<String, Latest>)>) -> Rows<'static> {
    let rows = latest
        .into_iter()
        .map(|(project_id, values)| {
            let readings: HashMap<&str, (f64, i64)> =
                values.iter().map(|(key, l)| (key.as_str(), (l.value, to_micros(l.observed_at)))).collect();
            let text = serde_json::to_string(&readings).expect("string keys and finite numbers serialize");
            vec![project_id.into(), text.into()]
        })
        .collect();
    const UPSERT: &str = "ON CONFLICT (project_id) DO UPDATE SET readings = excluded.readings";
    Rows { insert: Insert { table: "project_latest", columns: &["project_id", "readings"], suffix: UPSERT }, rows }
}
