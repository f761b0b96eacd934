//! Imports are stored in chunks, each its own short transaction, hidden
//! from every reader until one small transaction publishes the whole: so
//! a large backfill never holds up other writes, and a crash midway leaves
//! nothing of it visible.

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entity::{import, observation_set};
use super::history_index::{OBSERVATIONS_DATA, delete_rows};
use super::to_micros;

/// A staging import left alone this long was abandoned (its request or
/// its server died): its rows are deleted.
const ABANDONED_US: i64 = 10 * 60 * 1_000_000;

/// Observation sets readers may see: pushes, and published imports.
pub(super) fn visible() -> Condition {
    let published = Query::select()
        .column(import::Column::Id)
        .from(import::Entity)
        .and_where(import::Column::State.eq("published"))
        .to_owned();
    Condition::any()
        .add(observation_set::Column::ImportId.is_null())
        .add(observation_set::Column::ImportId.in_subquery(published))
}

pub async fn begin_import(txn: &impl ConnectionTrait, project_id: i64) -> Result<i64, DbErr> {
    let row = import::ActiveModel {
        project_id: Set(project_id),
        state: Set("staging".into()),
        updated_at: Set(to_micros(Utc::now())),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row.id)
}

/// Marks the import alive (a chunk) or published.
pub async fn mark_import(txn: &impl ConnectionTrait, id: i64, published: bool) -> Result<(), DbErr> {
    let mut update = import::Entity::update_many()
        .col_expr(import::Column::UpdatedAt, Expr::value(to_micros(Utc::now())))
        .filter(import::Column::Id.eq(id));
    if published {
        update = update.col_expr(import::Column::State, Expr::value("published"));
    }
    update.exec(txn).await?;
    Ok(())
}

/// Does up to `batch` rows of cleanup: published imports' rows become plain
/// rows, abandoned imports' rows go; an import with no rows left goes.
/// Returns how many rows it changed (0: nothing left to do).
pub async fn tidy_imports(db: &impl ConnectionTrait, batch: u64) -> Result<u64, DbErr> {
    let now = to_micros(Utc::now());
    let imports = import::Entity::find().all(db).await?;
    for imp in imports {
        let abandoned = imp.state == "staging" && now - imp.updated_at > ABANDONED_US;
        if imp.state == "staging" && !abandoned {
            continue;
        }
        // From the data table: its index on `import_id` finds them.
        let ids = Query::select()
            .column(observation_set::Column::Id)
            .from(Alias::new(OBSERVATIONS_DATA))
            .and_where(observation_set::Column::ImportId.eq(imp.id))
            .limit(batch)
            .to_owned();
        let changed = if abandoned {
            delete_rows(db, OBSERVATIONS_DATA, ids).await?
        } else {
            let publish = Query::update()
                .table(Alias::new(OBSERVATIONS_DATA))
                .value(observation_set::Column::ImportId, Option::<i64>::None)
                .and_where(observation_set::Column::Id.in_subquery(ids))
                .to_owned();
            db.execute(&publish).await?.rows_affected()
        };
        if changed > 0 {
            return Ok(changed);
        }
        import::Entity::delete_by_id(imp.id).exec(db).await?;
    }
    Ok(0)
}
