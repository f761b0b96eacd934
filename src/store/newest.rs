//! Every project's newest point, for `/metrics`.

use sea_orm::{ConnectionTrait, DbErr, Statement};

/// A project's index now, as any server reads it from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexNow {
    pub project: String,
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
        let mut fields = point.as_deref().unwrap_or_default().split(',').skip(1).map(str::parse::<f64>);
        if let (Some(Ok(value)), Some(Ok(coverage))) = (fields.next(), fields.next()) {
            points.push(IndexNow { project, value, coverage });
        }
    }
    Ok(points)
}
