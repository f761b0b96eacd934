//! Multi-row INSERTs for the ingest hot path. sea-orm's `insert_many` builds
//! each row as an ActiveModel and the statement through sea-query, which
//! cost more CPU than the database write itself at thousands of rows per
//! second. Here SQLite gets one statement per `MAX_ROWS` rows and
//! PostgreSQL one statement for any number of rows.

use sea_orm::sea_query::ArrayType;
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
        DbBackend::Postgres => vec![array_statement(tables)?],
        _ => tables.into_iter().flat_map(|t| values_statements(&t.insert, t.rows)).collect(),
    };
    for statement in statements {
        txn.execute_raw(statement).await?;
    }
    Ok(())
}

/// PostgreSQL: every column of a table as one array parameter, unnested
/// into rows. A statement with thousands of parameters was planned afresh
/// at every execution; all rows as one JSON document cost PostgreSQL more
/// to parse than the insert (a breakdown is a JSON text inside it), about
/// 8 µs per result. Arrays go across in binary.
fn array_statement(tables: Vec<Rows>) -> Result<Statement, DbErr> {
    let mut inserts = Vec::with_capacity(tables.len());
    let mut params = Vec::new();
    for Rows { insert, rows } in tables {
        let mut columns: Vec<Vec<Value>> = insert.columns.iter().map(|_| Vec::with_capacity(rows.len())).collect();
        for row in rows {
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
        }
        let mut fields = Vec::with_capacity(columns.len());
        for (name, column) in insert.columns.iter().zip(columns) {
            let (kind, cast) = array_type(insert.table, name, &column)?;
            params.push(Value::Array(kind, Some(Box::new(column))));
            fields.push(format!("${}::{cast}", params.len()));
        }
        inserts.push(format!(
            "INSERT INTO {} ({}) SELECT * FROM unnest({}) {}",
            insert.table,
            insert.columns.join(", "),
            fields.join(", "),
            insert.suffix
        ));
    }
    let last = inserts.pop().expect("at least one table");
    let ctes: Vec<String> = inserts.iter().enumerate().map(|(n, sql)| format!("w{n} AS ({sql})")).collect();
    let sql = if ctes.is_empty() { last } else { format!("WITH {} {last}", ctes.join(", ")) };
    Ok(Statement::from_sql_and_values(DbBackend::Postgres, sql, params))
}

/// The array type of a column: all its values of one type, none null.
fn array_type(table: &str, name: &str, column: &[Value]) -> Result<(ArrayType, &'static str), DbErr> {
    let kind = |v: &Value| match v {
        Value::BigInt(Some(_)) => Some((ArrayType::BigInt, "int8[]")),
        Value::Double(Some(_)) => Some((ArrayType::Double, "float8[]")),
        Value::String(Some(_)) => Some((ArrayType::String, "text[]")),
        _ => None,
    };
    match column.first().and_then(kind) {
        Some(first) if column.iter().all(|v| kind(v).as_ref() == Some(&first)) => Ok(first),
        _ => Err(DbErr::Custom(format!("no bulk insert into {table}.{name}: its values are not all of one type"))),
    }
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
