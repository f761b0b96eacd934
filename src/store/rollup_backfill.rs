//! Builds the rollups of history stored before rollups existed, one day of
//! one project per transaction, under the project's lock (so pushes
//! merging into the same buckets wait for it, and it for them).

use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::entity::{project, rollup_backfill};
use super::projects::lock_project;
use super::rollups::{HistoryChanges, Kind, Span, update_rollups};
use crate::domain::{TIERS, floor_to};

/// Does the next day of a pending backfill; false when none is left.
pub async fn backfill_rollups(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let Some(row) = rollup_backfill::Entity::find().order_by_asc(rollup_backfill::Column::ProjectId).one(db).await?
    else {
        return Ok(false);
    };
    let code: Option<String> = project::Entity::find()
        .select_only()
        .column(project::Column::Code)
        .filter(project::Column::Id.eq(row.project_id))
        .into_tuple()
        .one(db)
        .await?;
    let txn = db.begin().await?;
    // The project row goes with its backfill row (foreign key).
    if let Some(code) = code {
        lock_project(&txn, &code).await?;
    }
    let day = TIERS[2];
    let next = floor_to(row.cursor, day) + day;
    let to = Ord::min(next - 1, row.end_at);
    let rewritten = [Kind::Index, Kind::Indicators]
        .map(|kind| Span { project_id: row.project_id, kind, from: row.cursor, to })
        .to_vec();
    update_rollups(&txn, &HistoryChanges { rewritten, ..Default::default() }).await?;
    let done = rollup_backfill::Entity::delete_by_id(row.project_id);
    if next > row.end_at {
        done.exec(&txn).await?;
    } else {
        let advance = rollup_backfill::ActiveModel { cursor: sea_orm::Set(next), ..row.into() };
        sea_orm::ActiveModelTrait::update(advance, &txn).await?;
    }
    txn.commit().await?;
    Ok(true)
}
