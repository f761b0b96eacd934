use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Serialize;
use utoipa::ToSchema;

/// Position after the last item of a page: the sort key and the id that
/// breaks ties, rendered as `KEY.ID` so clients treat it as opaque text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub key: i64,
    pub id: i64,
}

impl Cursor {
    pub fn parse(s: &str) -> Option<Self> {
        let (key, id) = s.split_once('.')?;
        Some(Self { key: key.parse().ok()?, id: id.parse().ok()? })
    }

    pub fn render(&self) -> String {
        format!("{}.{}", self.key, self.id)
    }
}

/// Which slice of a time-ordered listing to read.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub limit: u64,
    pub after: Option<Cursor>,
    pub descending: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` were fetched with a limit of `limit + 1`: the extra row, if
    /// any, says there is a next page, which starts after the last kept row.
    pub fn cut<R>(mut rows: Vec<R>, limit: u64, cursor_of: impl Fn(&R) -> String, item: impl Fn(R) -> T) -> Self {
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(cursor_of) } else { None };
        Page { items: rows.into_iter().map(item).collect(), next_cursor }
    }
}

impl PageRequest {
    /// Restricts and orders `select` by (`key`, `id`) and fetches one row
    /// more than the limit, which tells whether a next page exists.
    pub fn apply<E, C>(&self, mut select: Select<E>, key: C, id: C) -> Select<E>
    where
        E: EntityTrait,
        C: ColumnTrait,
    {
        if let Some(from) = self.from {
            select = select.filter(key.gte(from));
        }
        if let Some(to) = self.to {
            select = select.filter(key.lt(to));
        }
        if let Some(c) = &self.after {
            select = select.filter(if self.descending {
                Condition::any().add(key.lt(c.key)).add(key.eq(c.key).and(id.lt(c.id)))
            } else {
                Condition::any().add(key.gt(c.key)).add(key.eq(c.key).and(id.gt(c.id)))
            });
        }
        let order = if self.descending { Order::Desc } else { Order::Asc };
        select.order_by(key, order.clone()).order_by(id, order).limit(self.limit + 1)
    }

    /// Cuts the extra row fetched by `apply` and renders the cursor.
    pub fn finish<R, T>(&self, rows: Vec<R>, cursor_of: impl Fn(&R) -> Cursor, item: impl Fn(R) -> T) -> Page<T> {
        Page::cut(rows, self.limit, |r| cursor_of(r).render(), item)
    }
}
