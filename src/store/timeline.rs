//! What recomputing a range of history reads and writes: the readings in
//! event-time order, the state before a time, and the points themselves.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

use super::breakdown;
use super::entity::{observation_set, result};
use super::from_micros;
use super::history_index::{RESULTS_DATA, delete_rows, edge};
use super::imports::visible;
use super::observations::holding;
use crate::domain::{IndicatorSpec, Latest};

/// One stored push or pull: its event time (µs) and values.
#[derive(Debug, Clone)]
pub struct StoredReading {
    pub at: i64,
    pub values: Vec<(String, f64)>,
}

/// The time of the project's newest point.
pub async fn history_end(db: &impl ConnectionTrait, project_id: i64) -> Result<Option<i64>, DbErr> {
    edge(db, result::Entity::find().filter(result::Column::ProjectId.eq(project_id)), result::Column::At, true).await
}

/// The event time of the project's newest reading.
pub async fn newest_reading(db: &impl ConnectionTrait, project_id: i64) -> Result<Option<i64>, DbErr> {
    let select =
        observation_set::Entity::find().filter(observation_set::Column::ProjectId.eq(project_id)).filter(visible());
    edge(db, select, observation_set::Column::ObservedAt, true).await
}

/// Readings with `from <= at < to`, oldest first and, at one time, in the
/// order received; at most `limit`.
pub async fn readings(
    db: &impl ConnectionTrait,
    project_id: i64,
    from: i64,
    to: Option<i64>,
    limit: u64,
) -> Result<Vec<StoredReading>, DbErr> {
    let mut select = observation_set::Entity::find()
        .select_only()
        // Every column it is ordered by (see `history_index`).
        .columns([observation_set::Column::ObservedAt, observation_set::Column::Readings, observation_set::Column::Id])
        .filter(observation_set::Column::ProjectId.eq(project_id))
        .filter(observation_set::Column::ObservedAt.gte(from))
        .filter(visible());
    if let Some(to) = to {
        select = select.filter(observation_set::Column::ObservedAt.lt(to));
    }
    let rows: Vec<(i64, String, i64)> = select
        .order_by_asc(observation_set::Column::ObservedAt)
        .order_by_asc(observation_set::Column::Id)
        // The drivers bind limits as signed integers.
        .limit(Ord::min(limit, i64::MAX as u64))
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter().map(|(at, text, _)| Ok(StoredReading { at, values: parse_readings(&text)? })).collect()
}

/// Readings from `from` on, before `to`, about `budget` of them: readings
/// sharing a time are never split. Returns them and the exclusive end of
/// the span they cover (`to` once they reach it).
pub async fn readings_chunk(
    db: &impl ConnectionTrait,
    project_id: i64,
    from: i64,
    to: i64,
    budget: u64,
) -> Result<(Vec<StoredReading>, i64), DbErr> {
    let mut chunk = readings(db, project_id, from, Some(to), budget + 1).await?;
    if chunk.len() as u64 <= budget {
        return Ok((chunk, to));
    }
    let cut = chunk[budget as usize].at;
    chunk.retain(|r| r.at < cut);
    if chunk.is_empty() {
        return Ok((readings(db, project_id, cut, Some(cut + 1), u64::MAX).await?, cut + 1));
    }
    Ok((chunk, cut))
}

pub(super) fn parse_readings(text: &str) -> Result<Vec<(String, f64)>, DbErr> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|e| DbErr::Custom(format!("unreadable readings {text:?}: {e}")))?;
    map.into_iter()
        .map(|(k, v)| v.as_f64().map(|v| (k, v)).ok_or_else(|| DbErr::Custom(format!("unreadable readings {text:?}"))))
        .collect()
}

/// The event time of `key`'s first observation after `at`.
pub async fn next_observation(
    db: &impl ConnectionTrait,
    project_id: i64,
    key: &str,
    at: i64,
) -> Result<Option<i64>, DbErr> {
    observation_set::Entity::find()
        .select_only()
        .column(observation_set::Column::ObservedAt)
        .filter(observation_set::Column::ProjectId.eq(project_id))
        .filter(observation_set::Column::ObservedAt.gt(at))
        .filter(holding(key))
        .filter(visible())
        .order_by_asc(observation_set::Column::ObservedAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
}

/// Each indicator's latest value before `at`. The newest point before `at`
/// holds them in its breakdown (points before a pending job's cursor are
/// current); an indicator it does not list (added since) is looked up in
/// the readings.
pub async fn state_before(
    db: &impl ConnectionTrait,
    project_id: i64,
    indicators: &[IndicatorSpec],
    at: i64,
) -> Result<HashMap<String, Latest>, DbErr> {
    let last: Option<(String, i64)> = result::Entity::find()
        .select_only()
        .columns([result::Column::Breakdown, result::Column::At])
        .filter(result::Column::ProjectId.eq(project_id))
        .filter(result::Column::At.lt(at))
        .order_by_desc(result::Column::At)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let listed = match last {
        Some((text, _)) => breakdown::decode(&text).map_err(|e| DbErr::Custom(format!("unreadable breakdown: {e}")))?.0,
        None => Vec::new(),
    };
    let mut state = HashMap::new();
    for spec in indicators {
        match listed.iter().find(|c| c.key == spec.key) {
            Some(c) => {
                if let (Some(value), Some(observed_at)) = (c.value, c.observed_at) {
                    state.insert(spec.key.clone(), Latest { value, observed_at });
                }
            }
            None => {
                if let Some(latest) = latest_reading(db, project_id, &spec.key, at).await? {
                    state.insert(spec.key.clone(), latest);
                }
            }
        }
    }
    Ok(state)
}

async fn latest_reading(
    db: &impl ConnectionTrait,
    project_id: i64,
    key: &str,
    before: i64,
) -> Result<Option<Latest>, DbErr> {
    let row: Option<(i64, String, i64)> = observation_set::Entity::find()
        .select_only()
        .columns([observation_set::Column::ObservedAt, observation_set::Column::Readings, observation_set::Column::Id])
        .filter(observation_set::Column::ProjectId.eq(project_id))
        .filter(observation_set::Column::ObservedAt.lt(before))
        .filter(holding(key))
        .filter(visible())
        .order_by_desc(observation_set::Column::ObservedAt)
        .order_by_desc(observation_set::Column::Id)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let Some((at, text, _)) = row else { return Ok(None) };
    let value = parse_readings(&text)?.into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
    Ok(value.map(|value| Latest { value, observed_at: from_micros(at) }))
}

/// Deletes the points with `from <= at < to` (`to` None: to the end).
pub async fn delete_points(
    db: &impl ConnectionTrait,
    project_id: i64,
    from: i64,
    to: Option<i64>,
) -> Result<(), DbErr> {
    let mut ids = result::Entity::find()
        .select_only()
        .column(result::Column::Id)
        .filter(result::Column::ProjectId.eq(project_id))
        .filter(result::Column::At.gte(from));
    if let Some(to) = to {
        ids = ids.filter(result::Column::At.lt(to));
    }
    delete_rows(db, RESULTS_DATA, ids.into_query()).await?;
    Ok(())
}

/// Codes of the projects where a value turned stale after the newest point
/// and before `now`: the sweep writes those points.
pub async fn stale_projects(db: &impl ConnectionTrait, now: i64) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    // Each latest value as (key, observed_at) rows.
    let (param, latest, observed_at) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "json_each(pl.readings::json)", "(lv.value->>1)::int8"),
        _ => ("?", "json_each(pl.readings)", "json_extract(lv.value, '$[1]')"),
    };
    // stale_at = observed_at + max_age + 1 µs; due when stale_at <= now and
    // after the newest point (no point: nothing computed yet, nothing due).
    // Ages past ~285 years never come (and would overflow the sum).
    let sql = format!(
        "SELECT DISTINCT code FROM (SELECT p.code AS code, \
         CASE WHEN i.max_age_secs <= 9000000000 THEN {observed_at} + i.max_age_secs * 1000000 END AS aged, \
         e.newest AS newest \
         FROM project_latest pl CROSS JOIN {latest} AS lv \
         JOIN indicators i ON i.project_id = pl.project_id AND i.key = lv.key \
         JOIN projects p ON p.id = pl.project_id \
         JOIN history_ends e ON e.project_id = pl.project_id \
         WHERE i.max_age_secs IS NOT NULL) AS due \
         WHERE aged < {param} AND aged >= newest"
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [now.into()])).await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}
