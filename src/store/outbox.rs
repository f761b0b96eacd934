//! Notifications waiting to be delivered. Each is written in the
//! transaction of the transition it reports, so none is lost to a crash
//! or a receiver outage; a process sending one holds a lease on it, so
//! several processes do not send it at once; each receiver gets its
//! notifications in the order of their transitions.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::entity::alert_delivery;
use super::to_micros;

pub use super::entity::alert_delivery::Model as Delivery;

pub struct NewDelivery<'a> {
    pub kind: &'a str,
    pub receiver: &'a str,
    pub body: String,
    pub idempotency_key: String,
}

pub async fn enqueue(db: &impl ConnectionTrait, new: NewDelivery<'_>, now: DateTime<Utc>) -> Result<(), DbErr> {
    let now = to_micros(now);
    let row = alert_delivery::ActiveModel {
        id: NotSet,
        kind: Set(new.kind.to_string()),
        receiver: Set(new.receiver.to_string()),
        body: Set(new.body),
        idempotency_key: Set(new.idempotency_key),
        created_at: Set(now),
        next_at: Set(now),
        attempts: Set(0),
        lease_until: Set(0),
        delivered_at: Set(None),
        last_error: Set(String::new()),
    };
    alert_delivery::Entity::insert(row).exec_without_returning(db).await.map(drop)
}

/// The oldest notification `receiver` has not taken yet. Receivers get
/// their notifications in order, so only this one may be sent now, and
/// only when it is due and nobody holds it.
pub async fn oldest_undelivered(
    db: &impl ConnectionTrait,
    kind: &str,
    receiver: &str,
) -> Result<Option<Delivery>, DbErr> {
    alert_delivery::Entity::find()
        .filter(alert_delivery::Column::DeliveredAt.is_null())
        .filter(alert_delivery::Column::Kind.eq(kind))
        .filter(alert_delivery::Column::Receiver.eq(receiver))
        .order_by_asc(alert_delivery::Column::Id)
        .one(db)
        .await
}

/// Takes `d` until `until`, if nobody took it since it was read.
pub async fn claim_delivery(db: &impl ConnectionTrait, d: &Delivery, until: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = alert_delivery::Entity::update_many()
        .col_expr(alert_delivery::Column::LeaseUntil, Expr::value(to_micros(until)))
        .col_expr(alert_delivery::Column::Attempts, Expr::col(alert_delivery::Column::Attempts).add(1))
        .filter(alert_delivery::Column::Id.eq(d.id))
        .filter(alert_delivery::Column::LeaseUntil.eq(d.lease_until))
        .filter(alert_delivery::Column::DeliveredAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

pub async fn mark_delivered(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<(), DbErr> {
    alert_delivery::Entity::update_many()
        .col_expr(alert_delivery::Column::DeliveredAt, Expr::value(to_micros(at)))
        .col_expr(alert_delivery::Column::LastError, Expr::value(""))
        .filter(alert_delivery::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}

/// Records a failed attempt; the next is due at `retry_at`.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    id: i64,
    error: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    alert_delivery::Entity::update_many()
        .col_expr(alert_delivery::Column::LastError, Expr::value(error))
        .col_expr(alert_delivery::Column::NextAt, Expr::value(to_micros(retry_at)))
        .col_expr(alert_delivery::Column::LeaseUntil, Expr::value(0))
        .filter(alert_delivery::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}

/// Notifications not delivered yet, for `/metrics`.
pub async fn undelivered(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    alert_delivery::Entity::find().filter(alert_delivery::Column::DeliveredAt.is_null()).count(db).await
}
