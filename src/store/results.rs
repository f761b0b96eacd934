use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};
use serde::Serialize;
use utoipa::ToSchema;

use super::breakdown;
use super::bulk::{Insert, Rows};
use super::entity::result;
use super::history_index::{RESULTS_DATA, by_side};
use super::time::serialize_rfc3339;
use super::{Cursor, Page, PageRequest, Project, from_micros, to_micros};
use crate::domain::{Contribution, MissingPolicy};

/// A point of a project's history: the index at event time `at`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndexResult {
    #[schema(example = "air")]
    pub project: String,
    /// The event time this point describes: the `ts` of the values that
    /// made it, or the instant a value turned stale.
    pub at: DateTime<Utc>,
    #[schema(example = 38.0)]
    pub value: f64,
    /// When the server computed it (late values and rescores recompute).
    pub computed_at: DateTime<Utc>,
    /// The project's configuration revision this was computed with.
    pub revision: i64,
    /// Share of indicators that scored (status `ok`), 0 to 1.
    pub coverage: f64,
    /// How indicators without a usable value were counted.
    pub missing_policy: MissingPolicy,
    pub breakdown: Vec<Contribution>,
}

/// A point of the index history, without the breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistoryPoint {
    /// Event time.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub at: DateTime<Utc>,
    pub value: f64,
    pub coverage: f64,
    pub revision: i64,
}

/// The rows storing computed results, for `store::insert_all`;
/// `project_ids[i]` is the id of `results[i]`'s project.
pub fn result_rows(project_ids: &[i64], results: &[IndexResult]) -> Rows<'static> {
    let mut rows = Vec::with_capacity(results.len());
    for (project_id, r) in project_ids.iter().zip(results) {
        let breakdown = breakdown::encode(&r.breakdown, r.missing_policy);
        let at = to_micros(r.at);
        // Debug prints the shortest text that reads back as the same f64.
        let point = format!("{at},{:?},{:?},{}", r.value, r.coverage, r.revision);
        rows.push(vec![
            (*project_id).into(),
            at.into(),
            r.value.into(),
            to_micros(r.computed_at).into(),
            r.revision.into(),
            r.coverage.into(),
            breakdown.into(),
            point.into(),
        ]);
    }
    const COLUMNS: &[&str] =
        &["project_id", "at", "value", "computed_at", "revision", "coverage", "breakdown", "point"];
    Rows { insert: Insert { table: RESULTS_DATA, columns: COLUMNS, suffix: "" }, rows }
}

pub async fn latest_result(db: &impl ConnectionTrait, project: &Project) -> Result<Option<IndexResult>, DbErr> {
    let row = result::Entity::find()
        .filter(result::Column::ProjectId.eq(project.id))
        .order_by_desc(result::Column::At)
        .order_by_desc(result::Column::Id)
        .one(db)
        .await?;
    row.map(|r| {
        let (breakdown, policy) = breakdown::decode(&r.breakdown)
            .map_err(|e| DbErr::Custom(format!("result {} has an unreadable breakdown: {e}", r.id)))?;
        Ok(IndexResult {
            project: project.code.clone(),
            at: from_micros(r.at),
            value: r.value,
            computed_at: from_micros(r.computed_at),
            revision: r.revision,
            coverage: r.coverage,
            // Only a project without indicators stores no policy with its
            // results, and there the policy changes nothing.
            missing_policy: policy.unwrap_or(project.missing_policy),
            breakdown,
        })
    })
    .transpose()
}

pub async fn result_history(
    db: &impl ConnectionTrait,
    project_id: i64,
    page: &PageRequest,
) -> Result<Page<HistoryPoint>, DbErr> {
    // The breakdown is the bulk of a row and history does not show it.
    let select = result::Entity::find()
        .select_only()
        .columns([result::Column::Id, result::Column::At, result::Column::Point])
        .filter(result::Column::ProjectId.eq(project_id));
    let rows = page.apply(select, result::Column::At, result::Column::Id).into_query();
    let points = packed_points(db, rows, page.descending, page.limit + 1).await?;
    Ok(page.finish(
        points,
        |&(id, at, ..)| Cursor { key: at, id },
        |(_, at, value, coverage, revision)| HistoryPoint { at: from_micros(at), value, coverage, revision },
    ))
}

/// id, at, value, coverage, revision.
type PointRow = (i64, i64, f64, f64, i64);

/// The page's rows packed by the database into one text a side of the
/// view (see `packed` and `by_side`), `id,at,value,coverage,revision;...`;
/// the `limit` first of both in the page's order.
async fn packed_points(
    db: &impl ConnectionTrait,
    rows: SelectStatement,
    descending: bool,
    limit: u64,
) -> Result<Vec<PointRow>, DbErr> {
    // Sorted here: an ORDER BY in the aggregate would sort them again in
    // the database, in a temporary b-tree.
    let run = Expr::cust("string_agg(CAST(id AS TEXT) || ',' || point, ';')");
    let query = by_side(rows, |side| Query::select().expr(run.clone()).from_subquery(side, "page").to_owned());
    let mut points: Vec<PointRow> = Vec::new();
    for row in db.query_all(&query).await? {
        let text: Option<String> = row.try_get_by_index(0)?;
        for p in text.iter().flat_map(|t| t.split(';')).filter(|p| !p.is_empty()) {
            points.push(point(p)?);
        }
    }
    points.sort_unstable_by_key(|&(id, at, ..)| (at, id));
    if descending {
        points.reverse();
    }
    points.truncate(limit as usize);
    Ok(points)
}

fn point(text: &str) -> Result<PointRow, DbErr> {
    let bad = || DbErr::Custom(format!("unreadable history point {text:?}"));
    let mut fields = text.split(',');
    let mut next = || fields.next().ok_or_else(bad);
    let id = next()?.parse().map_err(|_| bad())?;
    let at = next()?.parse().map_err(|_| bad())?;
    let value = next()?.parse().map_err(|_| bad())?;
    let coverage = next()?.parse().map_err(|_| bad())?;
    let revision = next()?.parse().map_err(|_| bad())?;
    Ok((id, at, value, coverage, revision))
}
