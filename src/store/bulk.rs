//! Multi-row INSERTs for the ingest hot path. sea-orm's `insert_many` builds
//! each row as an ActiveModel and the statement through sea-query, which
//! cost more CPU than the database write itself at thousands of rows per
//! second; here the SQL text is built once per chunk.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// Bound parameters per statement: under SQLite's 32,766 and PostgreSQL's
/// 65,535.
const MAX_PARAMS: usize = 30_000;

/// `INSERT INTO table (columns) VALUES (...), (...) <suffix>`, chunked.
/// Every row must have `columns.len()` values.
pub async fn insert_rows(
    txn: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let per_chunk = (MAX_PARAMS / columns.len()).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut values = Vec::with_capacity(per_chunk * columns.len());
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for (i, row) in rows.by_ref().take(per_chunk).enumerate() {
            debug_assert_eq!(row.len(), columns.len());
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.into_iter().enumerate() {
                if j > 0 {
                    sql.push_str(", ");
                }
                values.push(value);
                placeholder(&mut sql, backend, values.len());
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(suffix);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    }
    Ok(())
}

fn placeholder(sql: &mut String, backend: DbBackend, n: usize) {
    use std::fmt::Write;
    match backend {
        DbBackend::Postgres => write!(sql, "${n}").expect("writing to a String"),
        _ => sql.push('?'),
    }
}
