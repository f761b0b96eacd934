//! Reads a run of one tier's buckets for a chart. A year of hours is 8,760
//! rows, and handing rows one by one from the driver costs more than the
//! rows themselves, so the database packs them into one text (as history
//! pages do), with only the columns the aggregate needs. Floats are
//! written with 17 significant digits (PostgreSQL: its shortest exact
//! form), which read back as the same f64.

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::entity::rollup;
use crate::domain::{Agg, Cell};

/// SQLite's index of hour and day buckets with their aggregates
/// (migration `m20261130_000018_rollup_hours_index`) holds the tiers from
/// this one on; SQLite uses it for a query that names its condition as the
/// index does, `tier >= 3600000000`.
const INDEXED_FROM: i64 = 3_600_000_000;

/// Buckets of `tier` with `start <= bucket < end`, after `after`, at most
/// `limit`, oldest first: (bucket, cell), each cell exact for `agg` only.
pub(super) async fn tier_cells(
    db: &impl ConnectionTrait,
    (project_id, series, tier): (i64, &str, i64),
    (start, end, after): (Option<i64>, Option<i64>, Option<i64>),
    agg: Agg,
    limit: u64,
) -> Result<Vec<(i64, Cell)>, DbErr> {
    use rollup::Column::{Bucket, ProjectId, Series, Tier};
    let mut select = rollup::Entity::find()
        .select_only()
        .column_as(Expr::cust(packed_row(db.get_database_backend(), agg)), "row")
        .filter(ProjectId.eq(project_id))
        .filter(Series.eq(series))
        .filter(Tier.eq(tier));
    if tier >= INDEXED_FROM {
        select = select.filter(Expr::cust(format!("tier >= {INDEXED_FROM}")));
    }
    if let Some(start) = start {
        select = select.filter(Bucket.gte(start));
    }
    if let Some(end) = end {
        select = select.filter(Bucket.lt(end));
    }
    if let Some(after) = after {
        select = select.filter(Bucket.gt(after));
    }
    let rows = select.order_by_asc(Bucket).limit(limit).into_query();
    let query = Query::select().expr(Expr::cust("string_agg(row, ';')")).from_subquery(rows, "page").to_owned();
    let text: Option<String> = match db.query_one(&query).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => None,
    };
    let mut cells: Vec<(i64, Cell)> = text
        .as_deref()
        .unwrap_or_default()
        .split(';')
        .filter(|r| !r.is_empty())
        .map(|r| cell(r, agg))
        .collect::<Result<_, _>>()?;
    cells.sort_unstable_by_key(|(bucket, _)| *bucket);
    Ok(cells)
}

/// `bucket,n[,time][,value]`: the time and value the aggregate reads.
fn packed_row(backend: DbBackend, agg: Agg) -> String {
    let float = |column: &str| match backend {
        DbBackend::Postgres => format!("CAST({column} AS TEXT)"),
        _ => format!("printf('%!.17g', {column})"),
    };
    let int = |column: &str| format!("CAST({column} AS TEXT)");
    let mut fields = vec![int("bucket"), int("n")];
    match agg {
        Agg::Avg => fields.push(float("total")),
        Agg::Min => fields.push(float("low")),
        Agg::Max => fields.push(float("high")),
        Agg::First => fields.extend([int("first_at"), float("first_value")]),
        Agg::Last => fields.extend([int("last_at"), float("last_value")]),
        Agg::Count => {}
    }
    fields.join(" || ',' || ")
}

/// A cell whose fields all hold the one value `agg` answers from: merging
/// such cells keeps that value exact.
fn cell(text: &str, agg: Agg) -> Result<(i64, Cell), DbErr> {
    let bad = || DbErr::Custom(format!("unreadable rollup bucket {text:?}"));
    let mut fields = text.split(',');
    let mut int = || fields.next().and_then(|f| f.parse::<i64>().ok()).ok_or_else(bad);
    let bucket = int()?;
    let count = int()?;
    let at = if matches!(agg, Agg::First | Agg::Last) { int()? } else { bucket };
    let value = match agg {
        Agg::Count => 0.0,
        _ => fields.next().and_then(|f| f.parse::<f64>().ok()).ok_or_else(bad)?,
    };
    let cell = Cell { count, sum: value, min: value, max: value, first: (at, value), last: (at, value) };
    Ok((bucket, cell))
}
