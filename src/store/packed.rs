//! Runs of rows handed over as one value: the driver hands rows over one
//! by one (on SQLite a copy of every value and a channel message each),
//! which costs more than the rows themselves for a page or a chart.

use sea_orm::sea_query::SelectStatement;
use sea_orm::{ConnectionTrait, DbErr, TryGetable};

/// The one value `query` (an aggregate over the run) answers; empty when
/// the run is.
pub(super) async fn packed<T: TryGetable + Default>(
    db: &impl ConnectionTrait,
    query: &SelectStatement,
) -> Result<T, DbErr> {
    let value: Option<T> = match db.query_one(query).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    Ok(value.unwrap_or_default())
}
