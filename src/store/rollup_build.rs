//! Rolling a project's history up past its `built_to`, a stretch of whole
//! minutes at a time, under the project's ingest lock (in a writer task).
//! The writer rolls up the minutes it summed while appending them
//! (`store_minutes`); the builder reads the raw rows of those it could
//! not sum: history stored before rollups existed (a project without a
//! progress row starts from its oldest row) and minutes that changed other
//! than by appending. The minute of the newest point stays raw: points
//! still arrive in it.

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement};

use super::bulk::insert_all;
use super::entity::{observation_set, result, rollup_progress};
use super::history_index::edge;
use super::rollups::{Cells, Kind, Source, Span, add_up, merge_clause, raw_observations, raw_points, rows};
use crate::domain::{TIERS, floor_to};

const MINUTE: i64 = TIERS[0];

/// How far a build got.
#[derive(Debug, Clone, Copy)]
pub struct Built {
    /// The project's new `built_to`.
    pub to: i64,
    /// Whether whole minutes are left to roll up.
    pub more: bool,
}

/// The project's `built_to`; `None` when nothing is rolled up yet.
pub async fn built_to(db: &impl ConnectionTrait, project_id: i64) -> Result<Option<i64>, DbErr> {
    Ok(rollup_progress::Entity::find_by_id(project_id).one(db).await?.map(|r| r.built_to))
}

/// Rolls up the raw rows from `built_to` (`None`: the oldest) to the
/// minute of `newest` (the newest point), at most about `budget` points:
/// whole minutes, at least one. None when no whole minute is left.
pub async fn build_rollups(
    txn: &impl ConnectionTrait,
    project_id: i64,
    built_to: Option<i64>,
    newest: Option<i64>,
    budget: u64,
) -> Result<Option<Built>, DbErr> {
    let Some(limit) = newest.map(|n| floor_to(n, MINUTE)) else { return Ok(None) };
    let from = match built_to {
        Some(built) => built,
        None => match oldest(txn, project_id).await? {
            Some(oldest) => floor_to(oldest, MINUTE),
            None => return Ok(None),
        },
    };
    if from >= limit {
        return Ok(None);
    }
    let to = stretch_end(txn, project_id, (from, limit), budget).await?;
    let cells = raw_minutes(txn, project_id, from, to).await?;
    store_minutes(txn, cells, &[(project_id, to)]).await?;
    Ok(Some(Built { to, more: to < limit }))
}

/// The project's history from `from` on: its index points (event time,
/// value, in stored order) and its values summed per minute.
pub async fn history_from(
    txn: &impl ConnectionTrait,
    project_id: i64,
    from: i64,
) -> Result<(Vec<(i64, f64)>, Cells), DbErr> {
    let (points, cells) = raw_rows(txn, project_id, from, i64::MAX).await?;
    Ok((points.into_iter().map(|(_, _, at, cell)| (at, cell.sum)).collect(), cells))
}

async fn raw_minutes(txn: &impl ConnectionTrait, project_id: i64, from: i64, to: i64) -> Result<Cells, DbErr> {
    let (points, mut cells) = raw_rows(txn, project_id, from, to).await?;
    add_up(&mut cells, points, MINUTE);
    Ok(cells)
}

/// The project's index points at `from..to`, and its values there summed
/// per minute.
async fn raw_rows(txn: &impl ConnectionTrait, project_id: i64, from: i64, to: i64) -> Result<(Source, Cells), DbErr> {
    let index = Span { project_id, kind: Kind::Index, from, to };
    let points = raw_points(txn, &[&index]).await?;
    let mut cells = Cells::new();
    add_up(&mut cells, raw_observations(txn, &[&Span { kind: Kind::Indicators, ..index }]).await?, MINUTE);
    Ok((points, cells))
}

/// Writes minute cells that no tier holds yet into every tier (each
/// coarser one summed from the finer, then merged into what it holds) and
/// moves each project of `marks` (project id, new `built_to`) to its mark.
pub async fn store_minutes(txn: &impl ConnectionTrait, minutes: Cells, marks: &[(i64, i64)]) -> Result<(), DbErr> {
    let merge = merge_clause(txn.get_database_backend());
    let mut cells = minutes;
    let mut merges = Vec::with_capacity(TIERS.len());
    for (finer, tier) in TIERS.into_iter().zip(TIERS.into_iter().skip(1)) {
        let mut coarser = Cells::new();
        add_up(&mut coarser, cells.iter().map(|((p, series, bucket), c)| (*p, series.clone(), *bucket, *c)), tier);
        merges.push(rows(finer, std::mem::replace(&mut cells, coarser), &merge));
    }
    merges.push(rows(TIERS[TIERS.len() - 1], cells, &merge));
    insert_all(txn, merges).await?;
    set_built_to(txn, marks).await
}

/// The end of the next stretch of `[from, limit)`: the minute of the point
/// past `budget`, or `limit` if there are fewer.
async fn stretch_end(
    txn: &impl ConnectionTrait,
    project_id: i64,
    (from, limit): (i64, i64),
    budget: u64,
) -> Result<i64, DbErr> {
    use result::Column::{At, ProjectId};
    let past: Option<i64> = result::Entity::find()
        .select_only()
        .column(At)
        .filter(ProjectId.eq(project_id))
        .filter(At.gte(from))
        .filter(At.lt(limit))
        .order_by_asc(At)
        .offset(budget)
        .into_tuple()
        .one(txn)
        .await?;
    Ok(past.map_or(limit, |at| Ord::max(floor_to(at, MINUTE), from + MINUTE)))
}

/// The event time of the project's oldest point or value. Values of
/// imports not yet published count too: starting earlier than needed
/// costs nothing, while filtering them out made PostgreSQL scan every
/// value of the project (a stall of over 2 s at 700,000 of them).
async fn oldest(txn: &impl ConnectionTrait, project_id: i64) -> Result<Option<i64>, DbErr> {
    let points = result::Entity::find().filter(result::Column::ProjectId.eq(project_id));
    let point = edge(txn, points, result::Column::At, false).await?;
    let values = observation_set::Entity::find().filter(observation_set::Column::ProjectId.eq(project_id));
    let value = edge(txn, values, observation_set::Column::ObservedAt, false).await?;
    Ok([point, value].into_iter().flatten().min())
}

async fn set_built_to(txn: &impl ConnectionTrait, marks: &[(i64, i64)]) -> Result<(), DbErr> {
    use rollup_progress::Column::{BuiltTo, ProjectId};
    if marks.is_empty() {
        return Ok(());
    }
    let mut upsert = Query::insert();
    upsert.into_table(rollup_progress::Entity).columns([ProjectId, BuiltTo]);
    for (project_id, to) in marks {
        upsert.values_panic([(*project_id).into(), (*to).into()]);
    }
    upsert.on_conflict(OnConflict::column(ProjectId).update_column(BuiltTo).to_owned());
    txn.execute(&upsert).await?;
    Ok(())
}

/// Projects whose newest point is two minutes or more past their
/// `built_to` (or their oldest point, if nothing is rolled up yet). Less
/// is what a writer's sums keep back (up to a minute and some seconds):
/// those projects' rollups move on as they are pushed to.
const LAGGING: i64 = 2 * MINUTE;

/// Projects the builder has whole minutes to roll up for (see `LAGGING`).
pub async fn rollups_due(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    // `history_ends` takes two index steps per project, not a pass over
    // every point.
    let sql = format!(
        "SELECT p.code FROM projects p JOIN history_ends e ON e.project_id = p.id \
         LEFT JOIN rollup_progress g ON g.project_id = p.id \
         WHERE e.newest >= COALESCE(g.built_to, e.oldest) + {LAGGING}"
    );
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|r| r.try_get_by_index(0)).collect()
}
