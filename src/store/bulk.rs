//! Multi-row INSERTs for the ingest hot path. sea-orm's `insert_many` builds
//! each row as an ActiveModel and the statement through sea-query, which
//! cost more CPU than the database write itself at thousands of rows per
//! second; here the SQL text is built once per chunk.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// Rows per statement, largest first. Statements are prepared and cached
/// by their text, so a handful of fixed sizes are each parsed once per
/// connection instead of a new statement for every batch size.
const CHUNKS: [usize; 5] = [256, 64, 16, 4, 1];

/// `INSERT INTO table (columns) VALUES (...), (...) <suffix>`, in chunks of
/// the sizes above. Every row must have `columns.len()` values.
pub async fn insert_rows(
    txn: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
    suffix: &str,
) -> Result<(), DbErr> {
    let backend = txn.get_database_backend();
    let mut left = rows.len();
    let mut rows = rows.into_iter();
    for size in CHUNKS {
        while left >= size {
            let values: Vec<Value> = rows.by_ref().take(size).flatten().collect();
            let sql = statement(backend, table, columns, size, suffix);
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
            left -= size;
        }
    }
    Ok(())
}

fn statement(backend: DbBackend, table: &str, columns: &[&str], rows: usize, suffix: &str) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            placeholder(&mut sql, backend, row * columns.len() + column + 1);
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(suffix);
    sql
}

fn placeholder(sql: &mut String, backend: DbBackend, n: usize) {
    use std::fmt::Write;
    match backend {
        DbBackend::Postgres => write!(sql, "${n}").expect("writing to a String"),
        _ => sql.push('?'),
    }
}
