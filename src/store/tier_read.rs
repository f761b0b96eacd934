//! Reads a run of one tier's buckets for a chart. A year of hours is 8,760
//! rows, and handing rows one by one from the driver costs more than the
//! rows themselves, so the database packs them into one value with only
//! the columns the aggregate needs: a blob on SQLite (`sqlite_cells`), a
//! text on PostgreSQL (as history pages do).

use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr};

use super::entity::rollup;
use super::packed::packed;
use super::sqlite_cells;
use crate::domain::{Agg, Cell};

/// SQLite's index of hour and day buckets with their aggregates
/// (migration `m20261130_000018_rollup_hours_index`) holds the tiers from
/// this one on; SQLite uses it for a query that names its condition as the
/// index does, `tier >= 3600000000`.
const INDEXED_FROM: i64 = 3_600_000_000;

/// Up to `count` buckets of `tier` from the first at or after `from`,
/// before `end`, oldest first: (bucket, cell), each cell exact for `agg`
/// only. Bounded by time rather than by a `LIMIT` (buckets are whole
/// multiples of the tier, so `count` widths hold at most `count`): the
/// query is then one aggregate over an index range, where a limited
/// subquery made SQLite copy each row through a co-routine.
pub(super) async fn tier_cells(
    db: &impl ConnectionTrait,
    (project_id, series, tier): (i64, &str, i64),
    (from, end): (Option<i64>, i64),
    agg: Agg,
    count: i64,
) -> Result<Vec<(i64, Cell)>, DbErr> {
    use rollup::Column::{Bucket, ProjectId, Series, Tier};
    let backend = db.get_database_backend();
    let (at, value) = columns(agg);
    let run = match backend {
        DbBackend::Postgres => format!("string_agg({}, ';')", packed_row(agg)),
        _ => sqlite_cells::call(["bucket", "n", at, value]),
    };
    let from_on = Condition::all()
        .add(ProjectId.eq(project_id))
        .add(Series.eq(series))
        .add(Tier.eq(tier))
        .add(Bucket.gte(from.unwrap_or(i64::MIN)));
    let first =
        Query::select().expr(Func::min(Expr::col(Bucket))).from(rollup::Entity).cond_where(from_on.clone()).to_owned();
    // One bound, the nearer of `end` and `count` widths past the first
    // bucket: given both, SQLite bounds its index scan by one of them and
    // tests every row up to the other.
    let stop = Expr::SubQuery(None, Box::new(first.into())).add(count * tier);
    let mut window = from_on.add(Expr::col(Bucket).lt(Expr::case(stop.clone().lt(end), stop).finally(end)));
    if tier >= INDEXED_FROM {
        window = window.add(Expr::cust(format!("tier >= {INDEXED_FROM}")));
    }
    let query = Query::select().expr(Expr::cust(run)).from(rollup::Entity).cond_where(window).to_owned();
    let mut cells: Vec<(i64, Cell)> = match backend {
        DbBackend::Postgres => {
            let text: String = packed(db, &query).await?;
            text.split(';').filter(|r| !r.is_empty()).map(|r| parse(r, agg)).collect::<Result<_, _>>()?
        }
        _ => {
            let blob: Vec<u8> = packed(db, &query).await?;
            sqlite_cells::rows(&blob).map(|(bucket, n, at, value)| cell(bucket, n, at, value)).collect()
        }
    };
    cells.sort_unstable_by_key(|(bucket, _)| *bucket);
    Ok(cells)
}

/// The time and the value `agg` answers from, as columns of a bucket.
fn columns(agg: Agg) -> (&'static str, &'static str) {
    match agg {
        Agg::Avg => ("bucket", "total"),
        Agg::Min => ("bucket", "low"),
        Agg::Max => ("bucket", "high"),
        Agg::First => ("first_at", "first_value"),
        Agg::Last => ("last_at", "last_value"),
        Agg::Count => ("bucket", "0.0"),
    }
}

/// PostgreSQL's `bucket,n[,at][,value]`: the time only for `first` and
/// `last`, the value but for `count` (its text of a float is the shortest
/// that reads back as the same f64).
fn packed_row(agg: Agg) -> String {
    let (at, value) = columns(agg);
    let mut fields = vec!["bucket", "n"];
    if matches!(agg, Agg::First | Agg::Last) {
        fields.push(at);
    }
    if agg != Agg::Count {
        fields.push(value);
    }
    fields.iter().map(|c| format!("CAST({c} AS TEXT)")).collect::<Vec<_>>().join(" || ',' || ")
}

fn parse(text: &str, agg: Agg) -> Result<(i64, Cell), DbErr> {
    let bad = || DbErr::Custom(format!("unreadable rollup bucket {text:?} for {agg:?}"));
    let mut fields = text.split(',');
    let mut int = || fields.next().and_then(|f| f.parse::<i64>().ok()).ok_or_else(bad);
    let (bucket, n) = (int()?, int()?);
    let at = if matches!(agg, Agg::First | Agg::Last) { int()? } else { bucket };
    let value = match agg {
        Agg::Count => 0.0,
        _ => fields.next().and_then(|f| f.parse::<f64>().ok()).ok_or_else(bad)?,
    };
    Ok(cell(bucket, n, at, value))
}

/// A cell whose fields all hold the one value its aggregate answers from:
/// merging such cells keeps that value exact.
fn cell(bucket: i64, count: i64, at: i64, value: f64) -> (i64, Cell) {
    (bucket, Cell { count, sum: value, min: value, max: value, first: (at, value), last: (at, value) })
}
