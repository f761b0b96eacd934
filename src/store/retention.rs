//! Deleting history past its retention, a small batch per transaction so
//! that ingest is never held up for long, and per-project overrides.
//!
//! Raw points before the cutoff go except the newest one: it holds, in its
//! breakdown, each indicator's latest value before the cutoff, which is
//! all the points after it depend on (latest value and staleness), so the
//! history kept is unchanged and a late value or rescore after the cutoff
//! recomputes the same points. Observation sets before the cutoff go.

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select, TransactionTrait,
};

use super::entity::{observation_set, project, result, retention, rollup};
use super::history_index::{OBSERVATIONS_DATA, RESULTS_DATA, delete_rows, edge, ids_of};
use super::imports::visible;
use super::jobs::pending_job;
use super::projects::{count_as_ingest, hold_project};
use super::rollup_build::built_to;
use crate::domain::{Overrides, TIERS, floor_to};

/// Every project with its retention overrides (all None without a row).
pub async fn retention_overrides(db: &impl ConnectionTrait) -> Result<Vec<(i64, String, Overrides)>, DbErr> {
    let projects: Vec<(i64, String)> = project::Entity::find()
        .select_only()
        .columns([project::Column::Id, project::Column::Code])
        .into_tuple()
        .all(db)
        .await?;
    let rows = retention::Entity::find().all(db).await?;
    Ok(projects
        .into_iter()
        .map(|(id, code)| {
            let row = rows.iter().find(|r| r.project_id == id);
            (id, code, row.map_or([None; 4], |r| [r.raw, r.minute, r.hour, r.day]))
        })
        .collect())
}

/// One project's overrides.
pub async fn project_overrides(db: &impl ConnectionTrait, project_id: i64) -> Result<Overrides, DbErr> {
    let row = retention::Entity::find_by_id(project_id).one(db).await?;
    Ok(row.map_or([None; 4], |r| [r.raw, r.minute, r.hour, r.day]))
}

/// The time (µs) before which the project's raw history may be deleted.
pub async fn raw_from(db: &impl ConnectionTrait, project_id: i64) -> Result<Option<i64>, DbErr> {
    let row = retention::Entity::find_by_id(project_id).one(db).await?;
    Ok(row.and_then(|r| r.raw_from))
}

pub async fn set_overrides(db: &impl ConnectionTrait, project_id: i64, o: Overrides) -> Result<(), DbErr> {
    use retention::Column::{Day, Hour, Minute, ProjectId, Raw};
    let insert = Query::insert()
        .into_table(retention::Entity)
        .columns([ProjectId, Raw, Minute, Hour, Day])
        .values_panic([project_id.into(), o[0].into(), o[1].into(), o[2].into(), o[3].into()])
        .on_conflict(OnConflict::column(ProjectId).update_columns([Raw, Minute, Hour, Day]).to_owned())
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// Deletes up to `batch` raw points and up to `batch` observation sets of
/// the project from before `cutoff` (a UTC midnight), in one short
/// transaction under the project's lock; how many rows went. A project
/// whose history is being recomputed is left for a later sweep, and raw
/// rows the builder has not rolled up yet stay whatever their age (the
/// cutoff stops at the midnight before `built_to`).
pub async fn sweep_raw(
    db: &DatabaseConnection,
    project_id: i64,
    code: &str,
    cutoff: i64,
    batch: u64,
) -> Result<u64, DbErr> {
    if !raw_to_sweep(db, project_id, cutoff).await? {
        return Ok(0);
    }
    let txn = db.begin().await?;
    // Writers keep the project's state while only rows it no longer needs
    // go; a new `raw_from` is part of that state.
    let Some(lock) = hold_project(&txn, code).await? else { return Ok(0) };
    if pending_job(&txn, lock.id).await?.is_some() {
        return Ok(0);
    }
    let Some(cutoff) = rolled_up_cutoff(&txn, lock.id, cutoff).await? else { return Ok(0) };
    if raw_from(&txn, lock.id).await?.is_none_or(|from| from < cutoff) {
        mark_raw_from(&txn, lock.id, cutoff).await?;
        count_as_ingest(&txn, lock.id).await?;
    }
    let mut deleted = 0;
    if let Some(keep) = edge(&txn, points_before(lock.id, cutoff), result::Column::At, true).await? {
        let oldest = points_before(lock.id, keep)
            .select_only()
            .columns([result::Column::Id, result::Column::At])
            .order_by_asc(result::Column::At)
            .limit(batch);
        deleted += delete_rows(&txn, RESULTS_DATA, ids_of(oldest.into_query())).await?;
    }
    let oldest = sets_before(lock.id, cutoff)
        .select_only()
        .columns([observation_set::Column::Id, observation_set::Column::ObservedAt])
        .order_by_asc(observation_set::Column::ObservedAt)
        .limit(batch);
    deleted += delete_rows(&txn, OBSERVATIONS_DATA, ids_of(oldest.into_query())).await?;
    txn.commit().await?;
    Ok(deleted)
}

/// Whether the project has rows to delete, read without its lock: taking
/// the lock is a write (on SQLite, a commit that waits for the disk), and
/// a sweep that took it for each of 1,000 projects held ingest's commits
/// up to a second each while it went through them. `raw_from` moves only
/// with a deletion: until rows go, a late value before the cutoff can
/// still be scored from the history. What changes after the read waits
/// for the next sweep.
async fn raw_to_sweep(db: &DatabaseConnection, project_id: i64, cutoff: i64) -> Result<bool, DbErr> {
    let Some(cutoff) = rolled_up_cutoff(db, project_id, cutoff).await? else { return Ok(false) };
    let oldest = edge(db, points_before(project_id, cutoff), result::Column::At, false).await?;
    let newest = edge(db, points_before(project_id, cutoff), result::Column::At, true).await?;
    // The newest point before the cutoff stays: only older ones go.
    if oldest.zip(newest).is_some_and(|(oldest, newest)| oldest < newest) {
        return Ok(true);
    }
    Ok(edge(db, sets_before(project_id, cutoff), observation_set::Column::ObservedAt, false).await?.is_some())
}

/// `cutoff`, or the midnight before what the rollups hold if earlier:
/// raw rows not rolled up yet stay. None while nothing is rolled up.
async fn rolled_up_cutoff(db: &impl ConnectionTrait, project_id: i64, cutoff: i64) -> Result<Option<i64>, DbErr> {
    Ok(built_to(db, project_id).await?.map(|built| Ord::min(cutoff, floor_to(built, TIERS[2]))))
}

/// The project's raw points before `cutoff`.
fn points_before(project_id: i64, cutoff: i64) -> Select<result::Entity> {
    result::Entity::find().filter(result::Column::ProjectId.eq(project_id)).filter(result::Column::At.lt(cutoff))
}

/// The project's observation sets before `cutoff`, but those of imports
/// not published yet.
fn sets_before(project_id: i64, cutoff: i64) -> Select<observation_set::Entity> {
    observation_set::Entity::find()
        .filter(observation_set::Column::ProjectId.eq(project_id))
        .filter(observation_set::Column::ObservedAt.lt(cutoff))
        .filter(visible())
}

/// Records that raw history before `cutoff` may be gone: rollup rebuilds
/// leave the buckets before it alone.
async fn mark_raw_from(txn: &impl ConnectionTrait, project_id: i64, cutoff: i64) -> Result<(), DbErr> {
    use retention::Column::{ProjectId, RawFrom};
    let insert = Query::insert()
        .into_table(retention::Entity)
        .columns([ProjectId, RawFrom])
        .values_panic([project_id.into(), cutoff.into()])
        .on_conflict(OnConflict::column(ProjectId).update_column(RawFrom).to_owned())
        .to_owned();
    txn.execute(&insert).await?;
    Ok(())
}

/// Deletes up to `batch` buckets of `tier` (µs) of the project that ended
/// by `before`; how many went.
pub async fn sweep_tier(
    db: &DatabaseConnection,
    project_id: i64,
    tier: i64,
    before: i64,
    batch: u64,
) -> Result<u64, DbErr> {
    let oldest: Vec<i64> = rollup::Entity::find()
        .select_only()
        .column(rollup::Column::Bucket)
        .filter(rollup::Column::ProjectId.eq(project_id))
        .filter(rollup::Column::Tier.eq(tier))
        .filter(rollup::Column::Bucket.lte(before - tier))
        .order_by_asc(rollup::Column::Bucket)
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    let Some(last) = oldest.last() else { return Ok(0) };
    let deleted = rollup::Entity::delete_many()
        .filter(rollup::Column::ProjectId.eq(project_id))
        .filter(rollup::Column::Tier.eq(tier))
        .filter(rollup::Column::Bucket.lte(*last))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
