//! Keeps the rollups of the index and of each indicator equal to the raw
//! history before each project's `built_to` (see `rollup_build`, which
//! moves it on), in the transaction that changes that history. Pushes
//! append at or after `built_to`; what lands before it (a late value, the
//! points a recompute rewrote, a published import) is merged in, or has
//! its buckets rebuilt from the stored rows: the minute tier from the raw
//! rows, each coarser tier from the one below, so a rebuild reads at most
//! the raw rows of the minutes it touches plus 60 and 24 rollup rows per
//! hour and day.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::bulk::{Insert, Rows, insert_all};
use super::entity::{observation_set, result, retention, rollup};
use super::imports::visible;
use super::timeline::parse_readings;
use crate::domain::{Cell, TIERS, floor_to};

/// Which history a span or a series belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The index: series ''.
    Index,
    /// Every indicator of the project: series = key.
    Indicators,
}

/// Event times `from..=to` (µs) of a project whose stored rows changed
/// other than by appending.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub project_id: i64,
    pub kind: Kind,
    pub from: i64,
    pub to: i64,
}

/// What a transaction did to histories, in the order it stored it.
#[derive(Debug, Default)]
pub struct HistoryChanges {
    /// New index points: project id, event time, value.
    pub points: Vec<(i64, i64, f64)>,
    /// New visible observations: project id, event time, key, value.
    pub observations: Vec<(i64, i64, String, f64)>,
    pub rewritten: Vec<Span>,
    /// Each project's `built_to`; a project without one has no rollups.
    pub built_to: HashMap<i64, i64>,
}

impl HistoryChanges {
    /// Whether the rollups hold the history of the project at `at`.
    fn rolled_up(&self, project_id: i64, at: i64) -> bool {
        self.built_to.get(&project_id).is_some_and(|built| at < *built)
    }
}

/// (project id, series, bucket start) → cell, in key order.
pub type Cells = BTreeMap<(i64, String, i64), Cell>;

/// Brings the rollups of every tier up to date with `changes`, which the
/// caller has already written to the raw tables in this transaction.
pub async fn update_rollups(txn: &impl ConnectionTrait, changes: &HistoryChanges) -> Result<(), DbErr> {
    let spans = clamp_to_kept(txn, &changes.rewritten).await?;
    let merge = merge_clause(txn.get_database_backend());
    let mut merges = Vec::new();
    for tier in TIERS {
        let rebuilt: Vec<Span> = spans.iter().filter_map(|s| built_part(aligned(s, tier), changes)).collect();
        if !rebuilt.is_empty() {
            rebuild(txn, tier, &rebuilt).await?;
        }
        let cells = appended(changes, tier, &rebuilt);
        merges.push(rows(tier, cells, &merge));
        // A coarser tier's rebuild reads this one: it must be complete.
        if !rebuilt.is_empty() {
            insert_all(txn, std::mem::take(&mut merges)).await?;
        }
    }
    insert_all(txn, merges).await
}

/// Spans without what retention deleted: buckets before a project's
/// `raw_from` keep the rollups made while their raw rows existed.
async fn clamp_to_kept(txn: &impl ConnectionTrait, spans: &[Span]) -> Result<Vec<Span>, DbErr> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = spans.iter().map(|s| s.project_id).collect();
    let kept: Vec<(i64, Option<i64>)> = retention::Entity::find()
        .select_only()
        .columns([retention::Column::ProjectId, retention::Column::RawFrom])
        .filter(retention::Column::ProjectId.is_in(ids))
        .into_tuple()
        .all(txn)
        .await?;
    let raw_from = |id: i64| kept.iter().find(|(p, _)| *p == id).and_then(|(_, f)| *f).unwrap_or(i64::MIN);
    Ok(spans
        .iter()
        .map(|s| Span { from: s.from.max(raw_from(s.project_id)), ..*s })
        .filter(|s| s.from <= s.to)
        .collect())
}

/// The span widened to whole buckets of `tier`, end exclusive.
fn aligned(span: &Span, tier: i64) -> Span {
    Span { from: floor_to(span.from, tier), to: floor_to(span.to, tier) + tier, ..*span }
}

/// The part of an aligned span before the project's `built_to`: the
/// builder rolls up the rest when it gets there. The bucket holding
/// `built_to` is rebuilt with what comes before it only.
fn built_part(span: Span, changes: &HistoryChanges) -> Option<Span> {
    let built = *changes.built_to.get(&span.project_id)?;
    let span = Span { to: span.to.min(built), ..span };
    (span.from < span.to).then_some(span)
}

fn inside(spans: &[Span], project_id: i64, kind: Kind, bucket: i64) -> bool {
    spans.iter().any(|s| s.project_id == project_id && s.kind == kind && s.from <= bucket && bucket < s.to)
}

/// The appended points and observations before their project's
/// `built_to`, summed per bucket of `tier`, except in buckets being rebuilt
/// (which read them from the raw rows).
fn appended(changes: &HistoryChanges, tier: i64, rebuilt: &[Span]) -> Cells {
    let mut cells = Cells::new();
    let points = changes.points.iter().map(|(p, at, v)| (Kind::Index, *p, "", *at, *v));
    let observations = changes.observations.iter().map(|(p, at, k, v)| (Kind::Indicators, *p, k.as_str(), *at, *v));
    for (kind, project_id, series, at, value) in points.chain(observations) {
        let bucket = floor_to(at, tier);
        if !changes.rolled_up(project_id, at) || inside(rebuilt, project_id, kind, bucket) {
            continue;
        }
        let point = Cell::point(at, value);
        cells.entry((project_id, series.to_string(), bucket)).and_modify(|c| c.merge(&point)).or_insert(point);
    }
    cells
}

/// Recomputes the buckets of `tier` in `spans` from the finer tier (or,
/// for the finest, from the raw rows).
async fn rebuild(txn: &impl ConnectionTrait, tier: i64, spans: &[Span]) -> Result<(), DbErr> {
    let finer = TIERS.iter().copied().filter(|t| *t < tier).max();
    let mut cells = Cells::new();
    for kind in [Kind::Index, Kind::Indicators] {
        let spans: Vec<&Span> = spans.iter().filter(|s| s.kind == kind).collect();
        if spans.is_empty() {
            continue;
        }
        let sources = match finer {
            Some(finer) => finer_cells(txn, finer, kind, &spans).await?,
            None if kind == Kind::Index => raw_points(txn, &spans).await?,
            None => raw_observations(txn, &spans).await?,
        };
        add_up(&mut cells, sources, tier);
        rollup::Entity::delete_many()
            .filter(rollup::Column::Tier.eq(tier))
            .filter(series_of(kind))
            .filter(within(&spans, rollup::Column::ProjectId, rollup::Column::Bucket))
            .exec(txn)
            .await?;
    }
    insert_all(txn, vec![rows(tier, cells, "")]).await
}

/// (project id, series, time, cell) in time order.
pub(super) type Source = Vec<(i64, String, i64, Cell)>;

/// Merges each (project id, series, time, cell), in the order stored,
/// into its bucket of `tier`.
pub(super) fn add_up(cells: &mut Cells, source: impl IntoIterator<Item = (i64, String, i64, Cell)>, tier: i64) {
    for (project_id, series, at, cell) in source {
        let key = (project_id, series, floor_to(at, tier));
        cells.entry(key).and_modify(|c| c.merge(&cell)).or_insert(cell);
    }
}

pub(super) async fn raw_points(txn: &impl ConnectionTrait, spans: &[&Span]) -> Result<Source, DbErr> {
    // Every column it is ordered by (see `history_index`).
    let rows: Vec<(i64, i64, f64, i64)> = result::Entity::find()
        .select_only()
        .columns([result::Column::ProjectId, result::Column::At, result::Column::Value, result::Column::Id])
        .filter(within(spans, result::Column::ProjectId, result::Column::At))
        .order_by_asc(result::Column::ProjectId)
        .order_by_asc(result::Column::At)
        .order_by_asc(result::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().map(|(p, at, v, _)| (p, String::new(), at, Cell::point(at, v))).collect())
}

pub(super) async fn raw_observations(txn: &impl ConnectionTrait, spans: &[&Span]) -> Result<Source, DbErr> {
    let rows: Vec<(i64, i64, String, i64)> = observation_set::Entity::find()
        .select_only()
        .columns([
            observation_set::Column::ProjectId,
            observation_set::Column::ObservedAt,
            observation_set::Column::Readings,
            observation_set::Column::Id,
        ])
        .filter(within(spans, observation_set::Column::ProjectId, observation_set::Column::ObservedAt))
        .filter(visible())
        .order_by_asc(observation_set::Column::ProjectId)
        .order_by_asc(observation_set::Column::ObservedAt)
        .order_by_asc(observation_set::Column::Id)
        .into_tuple()
        .all(txn)
        .await?;
    let mut cells = Vec::with_capacity(rows.len());
    for (p, at, text, _) in rows {
        cells.extend(parse_readings(&text)?.into_iter().map(|(key, v)| (p, key, at, Cell::point(at, v))));
    }
    Ok(cells)
}

async fn finer_cells(txn: &impl ConnectionTrait, finer: i64, kind: Kind, spans: &[&Span]) -> Result<Source, DbErr> {
    let rows = rollup::Entity::find()
        .filter(rollup::Column::Tier.eq(finer))
        .filter(series_of(kind))
        .filter(within(spans, rollup::Column::ProjectId, rollup::Column::Bucket))
        .order_by_asc(rollup::Column::ProjectId)
        .order_by_asc(rollup::Column::Series)
        .order_by_asc(rollup::Column::Bucket)
        .all(txn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.project_id, r.series.clone(), r.bucket, cell_of(&r))).collect())
}

fn cell_of(r: &rollup::Model) -> Cell {
    Cell {
        count: r.n,
        sum: r.total,
        min: r.low,
        max: r.high,
        first: (r.first_at, r.first_value),
        last: (r.last_at, r.last_value),
    }
}

fn series_of(kind: Kind) -> Condition {
    let series = if kind == Kind::Index { rollup::Column::Series.eq("") } else { rollup::Column::Series.ne("") };
    Condition::all().add(series)
}

/// Rows of the spans' projects with `time` in the spans.
fn within(spans: &[&Span], project: impl ColumnTrait, time: impl ColumnTrait) -> Condition {
    spans.iter().fold(Condition::any(), |any, s| {
        any.add(Condition::all().add(project.eq(s.project_id)).add(time.gte(s.from)).add(time.lt(s.to)))
    })
}

pub(super) fn rows(tier: i64, cells: Cells, suffix: &str) -> Rows<'_> {
    let rows = cells
        .into_iter()
        .map(|((project_id, series, bucket), c)| {
            vec![
                project_id.into(),
                series.into(),
                tier.into(),
                bucket.into(),
                c.count.into(),
                c.sum.into(),
                c.min.into(),
                c.max.into(),
                c.first.0.into(),
                c.first.1.into(),
                c.last.0.into(),
                c.last.1.into(),
            ]
        })
        .collect();
    const COLUMNS: &[&str] = &[
        "project_id",
        "series",
        "tier",
        "bucket",
        "n",
        "total",
        "low",
        "high",
        "first_at",
        "first_value",
        "last_at",
        "last_value",
    ];
    Rows { insert: Insert { table: "rollups", columns: COLUMNS, suffix }, rows }
}

/// Merges a new cell into a stored bucket: the new points were stored
/// after the bucket's, so on equal times their last wins.
pub(super) fn merge_clause(backend: DbBackend) -> String {
    let (least, greatest) = if backend == DbBackend::Postgres { ("LEAST", "GREATEST") } else { ("MIN", "MAX") };
    let newer = |column: &str, cmp: &str, time: &str| {
        format!(
            "{column} = CASE WHEN excluded.{time} {cmp} rollups.{time} THEN excluded.{column} ELSE rollups.{column} END"
        )
    };
    format!(
        "ON CONFLICT (project_id, series, tier, bucket) DO UPDATE SET n = rollups.n + excluded.n, \
         total = rollups.total + excluded.total, low = {least}(rollups.low, excluded.low), \
         high = {greatest}(rollups.high, excluded.high), {}, {}, {}, {}",
        newer("first_value", "<", "first_at"),
        newer("first_at", "<", "first_at"),
        newer("last_value", ">=", "last_at"),
        newer("last_at", ">=", "last_at"),
    )
}
