//! SQLite's per-project history indexes, kept up in bulk by the ingest
//! writer (the migration `m20261201_000019_history_tail` says why and
//! how). Rows are stored in the data tables; reads go through the views
//! `results` and `observation_sets`, which join the indexed rows and the
//! tail not indexed yet. A read that orders and limits should select the
//! columns it orders by: SQLite then merges the two sides in index order
//! instead of sorting all of them.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, Order, QueryOrder, QuerySelect, Select,
    Statement, TransactionTrait,
};

/// Where result rows are inserted and deleted.
pub const RESULTS_DATA: &str = "results_data";
/// Where observation rows are inserted, updated and deleted.
pub const OBSERVATIONS_DATA: &str = "observation_sets_data";

/// A data table, its index table and the key columns of both.
struct Indexed {
    data: &'static str,
    index: &'static str,
    mark: &'static str,
    columns: &'static str,
    key: &'static str,
}

const TABLES: [Indexed; 2] = [
    Indexed {
        data: RESULTS_DATA,
        index: "results_indexed",
        mark: "results",
        columns: "project_id, at, id, point",
        key: "project_id, at, id",
    },
    Indexed {
        data: OBSERVATIONS_DATA,
        index: "observation_sets_indexed",
        mark: "observation_sets",
        columns: "project_id, observed_at, id",
        key: "project_id, observed_at, id",
    },
];

/// One step of a round of indexing (see the migration): the rows stored
/// up to the round's start of the next `1 / slices` of the projects, in
/// key order, so that each index page is written once for all its new
/// entries. Starts a round if none is going on. Returns whether the round
/// is over; PostgreSQL has no tail (true).
pub async fn index_tail(db: &DatabaseConnection, slices: i64) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(true);
    }
    let txn = db.begin().await?;
    let run = |sql: String, values: Vec<sea_orm::Value>| Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
    let last = txn.query_one_raw(run("SELECT COALESCE(MAX(id), 0) FROM projects".into(), vec![])).await?;
    let last: i64 = last.map(|row| row.try_get_by_index(0)).transpose()?.unwrap_or(0);
    let width = last / Ord::max(slices, 1) + 1;
    for t in &TABLES {
        let (data, index, columns, key, name) = (t.data, t.index, t.columns, t.key, t.mark);
        // Never backwards: the newest rows may have been deleted since.
        let start = format!(
            "UPDATE history_marks SET target = MAX(upto, (SELECT COALESCE(MAX(id), 0) FROM {data})), below = 0 \
             WHERE name = ? AND target = upto"
        );
        txn.execute_raw(run(start, vec![name.into()])).await?;
        // `OR FAIL`: no statement journal of every index page touched (see
        // `bulk`); an error rolls the whole transaction back.
        let slice = format!(
            "INSERT OR FAIL INTO {index} ({columns}) SELECT {columns} FROM {data}, history_marks m \
             WHERE m.name = ? AND id > m.upto AND id <= m.target AND project_id >= m.below \
             AND project_id < m.below + ? ORDER BY {key}"
        );
        txn.execute_raw(run(slice, vec![name.into(), width.into()])).await?;
        let next = "UPDATE history_marks SET below = below + ? WHERE name = ?";
        txn.execute_raw(run(next.into(), vec![width.into(), name.into()])).await?;
        let end = "UPDATE history_marks SET upto = target, below = 0 WHERE name = ? AND below > ?";
        txn.execute_raw(run(end.into(), vec![name.into(), last.into()])).await?;
    }
    let going =
        txn.query_one_raw(run("SELECT COUNT(*) FROM history_marks WHERE target <> upto".into(), vec![])).await?;
    let going: i64 = going.map(|row| row.try_get_by_index(0)).transpose()?.unwrap_or(0);
    txn.commit().await?;
    Ok(going == 0)
}

/// The least (`last` false) or greatest value of `column` among the rows
/// `select` picks. Through the views an ORDER BY ... LIMIT 1 is one step
/// of each side's order, where MIN or MAX would read every row.
pub(super) async fn edge<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    column: E::Column,
    last: bool,
) -> Result<Option<i64>, DbErr> {
    let order = if last { Order::Desc } else { Order::Asc };
    select.select_only().column(column).order_by(column, order).limit(1).into_tuple().one(db).await
}

/// `query`, a read of the view `results` that orders and limits, as the
/// union of its two sides, each read by `query` and handed to `wrap` (a
/// side's ORDER BY and LIMIT must be wrapped in a subquery): one
/// statement, so one snapshot. Through the view SQLite merges the sides
/// in order, a row at a time, which cost a history page a fifth of its
/// time. The rows come a side after the other: the caller orders them.
pub(super) fn by_side(query: SelectStatement, wrap: impl Fn(SelectStatement) -> SelectStatement) -> SelectStatement {
    let side = |table: &str| {
        let mut side = query.clone();
        side.from_clear().from_as(Alias::new(table), Alias::new("results"));
        wrap(side)
    };
    side("results_head").union(UnionType::All, side("results_tail")).to_owned()
}

/// The ids of `rows`, a query that selects `id` and the columns it is
/// ordered by: selected, they let SQLite merge the views' two sides in
/// order (an `IN` subquery may select one column only).
pub(super) fn ids_of(rows: SelectStatement) -> SelectStatement {
    Query::select().column(Alias::new("id")).from_subquery(rows, Alias::new("rows")).to_owned()
}

/// Deletes the rows of a data table (`RESULTS_DATA`, `OBSERVATIONS_DATA`)
/// whose ids `ids` selects, and, by trigger, their index entries.
pub(super) async fn delete_rows(db: &impl ConnectionTrait, data: &str, ids: SelectStatement) -> Result<u64, DbErr> {
    let delete =
        Query::delete().from_table(Alias::new(data)).and_where(Expr::col(Alias::new("id")).in_subquery(ids)).to_owned();
    Ok(db.execute(&delete).await?.rows_affected())
}
