//! History in chart buckets: from the coarsest rollup tier that fits the
//! buckets, up to the project's `built_to`, with the raw rows where the
//! asked range cuts through a tier's bucket and from `built_to` on (not
//! rolled up yet), or from the raw rows when no tier fits.

use chrono::{DateTime, Utc};
use sea_orm::{
    AccessMode, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::entity::{observation_set, result};
use super::imports::visible;
use super::observations::{holding, reading};
use super::rollup_build::built_to;
use super::tier_read::tier_cells;
use super::time::serialize_rfc3339;
use super::{Cursor, Page, PageRequest, from_micros};
use crate::domain::{Agg, Buckets, Cell, TIERS, floor_to};

/// Aggregate of the points in `[start, next bucket's start)`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Bucket {
    #[serde(serialize_with = "serialize_rfc3339")]
    pub start: DateTime<Utc>,
    pub value: f64,
    /// How many points the bucket aggregates.
    pub count: i64,
}

/// Whose history: the index, or one indicator's observations.
#[derive(Debug, Clone, Copy)]
pub enum Series<'a> {
    Index,
    Indicator(&'a str),
}

impl Series<'_> {
    fn name(&self) -> &str {
        match self {
            Series::Index => "",
            Series::Indicator(key) => key,
        }
    }
}

/// Rows read per query.
const CHUNK: u64 = 5_000;

/// The buckets of `series` with points in the page's range, oldest first;
/// `page.after` resumes at the bucket after the cursor.
pub async fn chart(
    db: &DatabaseConnection,
    project_id: i64,
    series: Series<'_>,
    buckets: Buckets,
    agg: Agg,
    page: &PageRequest,
) -> Result<Page<Bucket>, DbErr> {
    let from = Ord::max(page.after.as_ref().map(|c| buckets.end(c.key)), page.from);
    // The builder may commit between two reads: `built_to`, the rollups
    // and the raw rows must come from one snapshot, or the history it
    // just rolled up would be read twice, or not at all.
    let txn = snapshot(db).await?;
    let range = (from, page.to, built_to(&txn, project_id).await?);
    let tiers = TIERS.iter().rev().filter(|t| buckets.width() % **t == 0);
    let mut answer = None;
    for tier in tiers.map(|t| Some(*t)).chain([None]) {
        let acc = Accumulator { buckets: &buckets, agg, out: Vec::new(), want: page.limit as usize + 2 };
        answer = collect(&txn, project_id, series, tier, range, acc).await?;
        if answer.is_some() {
            break;
        }
    }
    txn.commit().await?;
    let cells = answer.unwrap_or_default();
    Ok(page.finish(
        cells,
        |(start, _)| Cursor { key: *start, id: 0 },
        |(start, cell)| Bucket { start: from_micros(start), value: cell.answer(agg), count: cell.count },
    ))
}

/// A read-only transaction that sees one snapshot throughout (SQLite's
/// transactions always do; its WAL keeps the snapshot of the first read).
async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
        }
        _ => db.begin().await,
    }
}

/// Up to `limit + 1` whole buckets of `[from, to)` read from `tier` (raw
/// rows: None) before `built_to`, or None if a bucket of the tier
/// straddles two chart buckets.
async fn collect(
    db: &impl ConnectionTrait,
    project_id: i64,
    series: Series<'_>,
    tier: Option<i64>,
    (from, to, built_to): (Option<i64>, Option<i64>, Option<i64>),
    mut acc: Accumulator<'_>,
) -> Result<Option<Vec<(i64, Cell)>>, DbErr> {
    for segment in segments(tier, from, to, built_to) {
        match segment {
            (Some(tier), start, Some(end)) => {
                if !read_tier(db, (project_id, series, tier), (start, end), &mut acc).await? {
                    return Ok(None);
                }
            }
            // A tier's segment always ends (at `built_to` at the latest).
            (_, start, end) => read_raw(db, project_id, series, (start, end), &mut acc).await?,
        }
        if acc.full() {
            break;
        }
    }
    acc.out.truncate(acc.want - 1);
    Ok(Some(acc.out))
}

/// A source and the times it is read for: (tier or None for the raw rows,
/// start, end).
type Segment = (Option<i64>, Option<i64>, Option<i64>);

/// Where to read `[from, to)` from: the tier's whole buckets before
/// `built_to` (the one holding it has only what came before), and the raw
/// rows before the first of them and from the end of the last on.
fn segments(tier: Option<i64>, from: Option<i64>, to: Option<i64>, built_to: Option<i64>) -> Vec<Segment> {
    let (Some(t), Some(built)) = (tier, built_to) else { return vec![(None, from, to)] };
    let lo = from.map(|f| floor_to(f + t - 1, t));
    let hi = to.map(|e| floor_to(e, t));
    if lo.zip(hi).is_some_and(|(lo, hi)| lo >= hi) {
        return vec![(None, from, to)];
    }
    let mid = built.max(lo.unwrap_or(i64::MIN)).min(hi.unwrap_or(i64::MAX));
    let mut segments = Vec::with_capacity(3);
    if from != lo {
        segments.push((None, from, lo));
    }
    if lo.is_none_or(|lo| lo < mid) {
        segments.push((tier, lo, Some(mid)));
    }
    if to.is_none_or(|to| mid < to) {
        segments.push((None, Some(mid), to));
    }
    segments
}

struct Accumulator<'a> {
    buckets: &'a Buckets,
    agg: Agg,
    out: Vec<(i64, Cell)>,
    /// The page size plus two: one more says a next page exists, and the
    /// last read may be incomplete.
    want: usize,
}

impl Accumulator<'_> {
    /// Adds the cell of `[at, at + width)`; false if that spans two buckets.
    fn add(&mut self, at: i64, width: i64, cell: &Cell) -> bool {
        let start = self.buckets.start(at);
        if width > 1 && self.buckets.start(at + width - 1) != start {
            return false;
        }
        match self.out.last_mut() {
            Some((last, c)) if *last == start => c.merge(cell),
            _ => self.out.push((start, *cell)),
        }
        true
    }

    /// Enough buckets that all but the last are complete.
    fn full(&self) -> bool {
        self.out.len() >= self.want
    }
}

/// Feeds the buckets of `tier` in `[start, end)` to `acc` in time order
/// until it is full; false if one straddled two chart buckets.
async fn read_tier(
    db: &impl ConnectionTrait,
    (project_id, series, tier): (i64, Series<'_>, i64),
    (start, end): (Option<i64>, i64),
    acc: &mut Accumulator<'_>,
) -> Result<bool, DbErr> {
    let mut from = start;
    loop {
        let cells = tier_cells(db, (project_id, series.name(), tier), (from, end), acc.agg, CHUNK as i64).await?;
        let Some(&(last, _)) = cells.last() else { return Ok(true) };
        for (at, cell) in &cells {
            if !acc.add(*at, tier, cell) {
                return Ok(false);
            }
        }
        if acc.full() || last + tier >= end {
            return Ok(true);
        }
        from = Some(last + tier);
    }
}

/// Feeds the raw rows of `[start, end)` to `acc` in time order until it
/// is full.
async fn read_raw(
    db: &impl ConnectionTrait,
    project_id: i64,
    series: Series<'_>,
    (start, end): (Option<i64>, Option<i64>),
    acc: &mut Accumulator<'_>,
) -> Result<(), DbErr> {
    // Position after the last row read: (time, id).
    let mut after: Option<(i64, i64)> = None;
    loop {
        let rows = match series {
            Series::Index => raw_points(db, project_id, start, end, after).await?,
            Series::Indicator(key) => raw_observations(db, project_id, key, start, end, after).await?,
        };
        for (_, at, cell) in &rows {
            acc.add(*at, 1, cell);
        }
        if (rows.len() as u64) < CHUNK || acc.full() {
            return Ok(());
        }
        after = rows.last().map(|(id, at, _)| (*at, *id));
    }
}

/// (id, time, cell) rows.
type Rows = Vec<(i64, i64, Cell)>;

fn span<C: ColumnTrait>(time: C, id: C, start: Option<i64>, end: Option<i64>, after: Option<(i64, i64)>) -> Condition {
    let mut cond = Condition::all();
    if let Some(start) = start {
        cond = cond.add(time.gte(start));
    }
    if let Some(end) = end {
        cond = cond.add(time.lt(end));
    }
    if let Some((at, last)) = after {
        cond = cond.add(Condition::any().add(time.gt(at)).add(Condition::all().add(time.eq(at)).add(id.gt(last))));
    }
    cond
}

async fn raw_points(
    db: &impl ConnectionTrait,
    project_id: i64,
    start: Option<i64>,
    end: Option<i64>,
    after: Option<(i64, i64)>,
) -> Result<Rows, DbErr> {
    let rows: Vec<(i64, i64, f64)> = result::Entity::find()
        .select_only()
        .columns([result::Column::Id, result::Column::At, result::Column::Value])
        .filter(result::Column::ProjectId.eq(project_id))
        .filter(span(result::Column::At, result::Column::Id, start, end, after))
        .order_by_asc(result::Column::At)
        .order_by_asc(result::Column::Id)
        .limit(CHUNK)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, at, v)| (id, at, Cell::point(at, v))).collect())
}

async fn raw_observations(
    db: &impl ConnectionTrait,
    project_id: i64,
    key: &str,
    start: Option<i64>,
    end: Option<i64>,
    after: Option<(i64, i64)>,
) -> Result<Rows, DbErr> {
    use observation_set::Column::{Id, ObservedAt, ProjectId, Readings};
    let rows: Vec<(i64, i64, String)> = observation_set::Entity::find()
        .select_only()
        .columns([Id, ObservedAt, Readings])
        .filter(ProjectId.eq(project_id))
        .filter(holding(key))
        .filter(visible())
        .filter(span(ObservedAt, Id, start, end, after))
        .order_by_asc(ObservedAt)
        .order_by_asc(Id)
        .limit(CHUNK)
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(id, at, text)| {
            let value = reading(&text, key)
                .ok_or_else(|| DbErr::Custom(format!("observation set {id} has unreadable readings for {key:?}")))?;
            Ok((id, at, Cell::point(at, value)))
        })
        .collect()
}
