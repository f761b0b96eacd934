//! Every project's newest point, for `/metrics` and the dashboard's overview.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};

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

/// One index probe per project (its newest `point`), so the cost grows
/// with the number of projects, not with their history.
pub async fn newest_points(db: &impl ConnectionTrait) -> Result<Vec<IndexNow>, DbErr> {
    let sql = "SELECT p.code, (SELECT r.point FROM results r WHERE r.project_id = p.id \
               ORDER BY r.at DESC, r.id DESC LIMIT 1) FROM projects p ORDER BY p.code";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let mut points = Vec::with_capacity(rows.len());
    for row in rows {
        let (project, point): (String, Option<String>) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        // `at,value,coverage,revision`
        let mut fields = point.as_deref().unwrap_or_default().split(',');
        let at = fields.next().and_then(|us| us.parse::<i64>().ok());
        let mut numbers = fields.map(str::parse::<f64>);
        if let (Some(at), Some(Ok(value)), Some(Ok(coverage))) = (at, numbers.next(), numbers.next()) {
            points.push(IndexNow { project, at: from_micros(at), value, coverage });
        }
    }
    Ok(points)
}
