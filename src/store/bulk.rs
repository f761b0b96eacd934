//! Multi-row INSERTs for the ingest hot path. sea-orm's `insert_many` builds
//! each row as an ActiveModel and the statement through sea-query, which
//! cost more CPU than the database write itself at thousands of rows per
//! second. Here SQLite gets one statement per `MAX_ROWS` rows and
//! PostgreSQL one statement for any number of rows.

use sea_orm::sea_query::value::sea_value_to_json_value;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// Statement sizes in rows. A batch is padded up to the next size with
/// NULL rows that the statement filters out, so every batch takes one
/// round trip per `MAX_ROWS` rows and only these few statement texts are
/// ever prepared (and then reused from each connection's cache).
const SIZES: [usize; 5] = [1, 4, 16, 64, 256];
const MAX_ROWS: usize = SIZES[SIZES.len() - 1];

/// What to insert where: `INSERT INTO table (columns) SELECT ... suffix`.
pub struct Insert<'a> {
    pub table: &'a str,
    pub columns: &'a [&'a str],
    pub suffix: &'a str,
}

/// Rows for one table.
pub struct Rows<'a> {
    pub insert: Insert<'a>,
    pub rows: Vec<Vec<Value>>,
}

/// Inserts rows into several tables: every row must have `columns.len()`
/// values, the first of them non-null, and all rows of a table the same
/// types. On PostgreSQL this is one statement (data-modifying CTEs), so a
/// transaction's inserts cost one round trip.
///
/// Only inside a transaction that an error rolls back: on SQLite a failing
/// statement keeps the rows it stored before failing (`OR FAIL`), which
/// spares SQLite a journal of every page the statement touches.
pub async fn insert_all(txn: &impl ConnectionTrait, tables: Vec<Rows<'_>>) -> Result<(), DbErr> {
    let tables: Vec<Rows> = tables.into_iter().filter(|t| !t.rows.is_empty()).collect();
    if tables.is_empty() {
        return Ok(());
    }
    let statements = match txn.get_database_backend() {
        DbBackend::Postgres => vec![json_statement(&tables)?],
        _ => tables.into_iter().flat_map(|t| values_statements(&t.insert, t.rows)).collect(),
    };
    for statement in statements {
        txn.execute_raw(statement).await?;
    }
    Ok(())
}

/// PostgreSQL plans a statement with thousands of parameters afresh at
/// every execution, which cost more than the insert; one JSON parameter
/// per table holding all its rows is planned once.
fn json_statement(tables: &[Rows]) -> Result<Statement, DbErr> {
    let mut inserts = Vec::with_capacity(tables.len());
    let mut params = Vec::with_capacity(tables.len());
    for (n, table) in tables.iter().enumerate() {
        inserts.push(json_insert(&table.insert, &table.rows[0], n + 1)?);
        let json: Vec<Vec<serde_json::Value>> =
            table.rows.iter().map(|row| row.iter().map(sea_value_to_json_value).collect()).collect();
        params.push(Value::from(serde_json::to_string(&json).map_err(|e| DbErr::Custom(e.to_string()))?));
    }
    let last = inserts.pop().expect("at least one table");
    let ctes: Vec<String> = inserts.iter().enumerate().map(|(n, sql)| format!("w{n} AS ({sql})")).collect();
    let sql = if ctes.is_empty() { last } else { format!("WITH {} {last}", ctes.join(", ")) };
    Ok(Statement::from_sql_and_values(DbBackend::Postgres, sql, params))
}

/// `INSERT ... SELECT` from the JSON array in parameter `$param`.
fn json_insert(insert: &Insert, first: &[Value], param: usize) -> Result<String, DbErr> {
    let mut fields = Vec::with_capacity(insert.columns.len());
    for (i, value) in first.iter().enumerate() {
        let cast = match value {
            Value::BigInt(_) => "::int8",
            Value::Double(_) => "::float8",
            Value::String(_) => "",
            other => return Err(DbErr::Custom(format!("no bulk insert for {other:?} values"))),
        };
        fields.push(format!("(r->>{i}){cast}"));
    }
    Ok(format!(
        "INSERT INTO {} ({}) SELECT {} FROM jsonb_array_elements(${param}::jsonb) AS r {}",
        insert.table,
        insert.columns.join(", "),
        fields.join(", "),
        insert.suffix
    ))
}

/// SQLite: multi-row VALUES, bound natively (its JSON functions would
/// round-trip floats through text).
fn values_statements(insert: &Insert, rows: Vec<Vec<Value>>) -> Vec<Statement> {
    let padding: Vec<Value> = rows[0].iter().map(Value::as_null).collect();
    let width = insert.columns.len();
    let mut statements = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(MAX_ROWS).collect();
        let size = SIZES.into_iter().find(|&s| s >= chunk.len()).unwrap_or(MAX_ROWS);
        let mut values: Vec<Value> = Vec::with_capacity(size * width);
        values.extend(chunk.into_iter().flatten());
        while values.len() < size * width {
            values.extend(padding.iter().cloned());
        }
        let sql = statement(insert, size);
        statements.push(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values));
    }
    statements
}

fn statement(insert: &Insert, rows: usize) -> String {
    let columns = insert.columns;
    let mut sql = format!("INSERT OR FAIL INTO {} ({}) SELECT * FROM (VALUES ", insert.table, columns.join(", "));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('?');
        }
        sql.push(')');
    }
    // The WHERE drops the padding; SQLite also needs one before an upsert's
    // ON CONFLICT to parse it.
    sql.push_str(") AS v WHERE v.column1 IS NOT NULL ");
    sql.push_str(insert.suffix);
    sql
}
