//! Every project's newest point, for `/metrics` and the dashboard's overview.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement, TransactionTrait};

use super::from_micros;

/// A project's index now, as any server reads it from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexNow {
    pub project: String,
    /// The point's event time.
    pub at: DateTime<Utc>,
    pub value: f64,
    pub coverage: f64,
}

/// One index probe per project (its newest indexed `point`) and one pass
/// over the points not indexed yet (SQLite's tail, see `history_index`),
/// so the cost grows with the number of projects, not with their history.
pub async fn newest_points(db: &DatabaseConnection) -> Result<Vec<IndexNow>, DbErr> {
    // One snapshot: between two reads the writer may index the tail.
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let tail = "SELECT project_id, point FROM results_tail ORDER BY at, id";
    let mut newer: HashMap<i64, String> = HashMap::new();
    for row in txn.query_all_raw(Statement::from_string(backend, tail)).await? {
        newer.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    }
    let indexed = "SELECT p.code, p.id, (SELECT i.point FROM results_indexed i WHERE i.project_id = p.id \
                   ORDER BY i.at DESC, i.id DESC LIMIT 1) FROM projects p ORDER BY p.code";
    let rows = txn.query_all_raw(Statement::from_string(backend, indexed)).await?;
    txn.commit().await?;
    let mut points = Vec::with_capacity(rows.len());
    for row in rows {
        let (project, id): (String, i64) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let point: Option<String> = row.try_get_by_index(2)?;
        let indexed = point.as_deref().and_then(parse);
        // A tail row is newer than any indexed one, so it wins a tie.
        let newest = match (indexed, newer.get(&id).and_then(|p| parse(p))) {
            (Some(i), Some(t)) => Some(if t.0 >= i.0 { t } else { i }),
            (i, t) => t.or(i),
        };
        if let Some((at, value, coverage)) = newest {
            points.push(IndexNow { project, at: from_micros(at), value, coverage });
        }
    }
    Ok(points)
}

/// `at,value,coverage,revision` → (at, value, coverage).
fn parse(point: &str) -> Option<(i64, f64, f64)> {
    let mut fields = point.split(',');
    let at = fields.next()?.parse().ok()?;
    let mut numbers = fields.map(str::parse::<f64>);
    Some((at, numbers.next()?.ok()?, numbers.next()?.ok()?))
}
