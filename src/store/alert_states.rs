//! Where each alert is (one row per rule and subject) and how it got there
//! (one event per transition).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use utoipa::ToSchema;

use super::entity::{alert_event, alert_rule, alert_state, project};
use super::page::{Cursor, Page, PageRequest};
use super::time::serialize_rfc3339;
use super::{from_micros, to_micros};
use crate::domain::Phase;

pub use super::entity::alert_state::Model as AlertStateRow;

/// What a transition changes, computed from the row it was judged on.
pub struct Transition<'a> {
    pub rule_id: i64,
    pub rule_name: &'a str,
    pub project_id: i64,
    pub subject: &'a str,
    /// The row as read; None: the alert had no row (inactive).
    pub from: Option<&'a AlertStateRow>,
    pub to: Phase,
    pub value: Option<f64>,
    pub at: DateTime<Utc>,
}

/// Every alert row of a project.
pub async fn project_states(db: &impl ConnectionTrait, project_id: i64) -> Result<Vec<AlertStateRow>, DbErr> {
    alert_state::Entity::find().filter(alert_state::Column::ProjectId.eq(project_id)).all(db).await
}

/// Applies `t` if the row is still as it was read, and records the event.
/// False: another process moved the alert first; the caller's transaction
/// must then write nothing more for it.
pub async fn apply_transition(db: &impl ConnectionTrait, t: &Transition<'_>) -> Result<bool, DbErr> {
    let at = to_micros(t.at);
    let fired_at = (t.to == Phase::Firing).then_some(at);
    let applied = match t.from {
        None => {
            let row = alert_state::ActiveModel {
                id: NotSet,
                rule_id: Set(t.rule_id),
                project_id: Set(t.project_id),
                subject: Set(t.subject.to_string()),
                state: Set(t.to.as_str().to_string()),
                value: Set(t.value),
                since: Set(at),
                fired_at: Set(fired_at),
                resolved_at: Set(None),
                version: Set(1),
                sent_at: Set(at),
                updated_at: Set(at),
            };
            let key = OnConflict::columns([alert_state::Column::RuleId, alert_state::Column::Subject])
                .do_nothing()
                .to_owned();
            alert_state::Entity::insert(row).on_conflict(key).exec_without_returning(db).await? == 1
        }
        Some(row) => {
            let mut update = alert_state::Entity::update_many()
                .col_expr(alert_state::Column::State, Expr::value(t.to.as_str()))
                .col_expr(alert_state::Column::Value, Expr::value(t.value))
                .col_expr(alert_state::Column::Since, Expr::value(at))
                .col_expr(alert_state::Column::Version, Expr::col(alert_state::Column::Version).add(1))
                .col_expr(alert_state::Column::UpdatedAt, Expr::value(at));
            update = match t.to {
                Phase::Firing => update
                    .col_expr(alert_state::Column::FiredAt, Expr::value(at))
                    .col_expr(alert_state::Column::ResolvedAt, Expr::value(Option::<i64>::None))
                    .col_expr(alert_state::Column::SentAt, Expr::value(at)),
                Phase::Resolved => update.col_expr(alert_state::Column::ResolvedAt, Expr::value(at)),
                Phase::Pending | Phase::Inactive => update,
            };
            let done = update
                .filter(alert_state::Column::Id.eq(row.id))
                .filter(alert_state::Column::Version.eq(row.version))
                .exec(db)
                .await?;
            done.rows_affected == 1
        }
    };
    if applied {
        let from = t.from.and_then(|r| Phase::parse(&r.state)).unwrap_or(Phase::Inactive);
        let event = alert_event::ActiveModel {
            id: NotSet,
            rule_id: Set(t.rule_id),
            project_id: Set(t.project_id),
            rule_name: Set(t.rule_name.to_string()),
            subject: Set(t.subject.to_string()),
            from_state: Set(from.as_str().to_string()),
            to_state: Set(t.to.as_str().to_string()),
            value: Set(t.value),
            at: Set(at),
        };
        alert_event::Entity::insert(event).exec_without_returning(db).await?;
    }
    Ok(applied)
}

/// Firing alerts last queued for Alertmanager at or before `before`.
pub async fn due_resends(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<Vec<AlertStateRow>, DbErr> {
    alert_state::Entity::find()
        .filter(alert_state::Column::State.eq(Phase::Firing.as_str()))
        .filter(alert_state::Column::SentAt.lte(to_micros(before)))
        .all(db)
        .await
}

/// Marks a resend as queued, if no other process did since `row` was read.
pub async fn claim_resend(db: &impl ConnectionTrait, row: &AlertStateRow, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let done = alert_state::Entity::update_many()
        .col_expr(alert_state::Column::SentAt, Expr::value(to_micros(now)))
        .filter(alert_state::Column::Id.eq(row.id))
        .filter(alert_state::Column::SentAt.eq(row.sent_at))
        .filter(alert_state::Column::Version.eq(row.version))
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// An alert that is pending or firing, as `GET /v1/alerts` lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActiveAlert {
    pub project: String,
    pub rule_id: i64,
    pub rule: String,
    pub severity: String,
    /// `""` (the project), an indicator key or `source:ID`.
    pub subject: String,
    /// `pending` or `firing`.
    pub state: Phase,
    pub value: Option<f64>,
    /// When it entered its state.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub since: DateTime<Utc>,
}

/// Which active alerts to list; None: any.
#[derive(Debug, Default)]
pub struct AlertFilter {
    pub state: Option<Phase>,
    pub project: Option<String>,
    pub severity: Option<String>,
    /// Only these projects (a scoped key); empty: all.
    pub projects: Vec<String>,
}

pub async fn active_alerts(db: &impl ConnectionTrait, filter: &AlertFilter) -> Result<Vec<ActiveAlert>, DbErr> {
    let states = match filter.state {
        Some(state) => vec![state.as_str()],
        None => vec![Phase::Pending.as_str(), Phase::Firing.as_str()],
    };
    let rows = alert_state::Entity::find()
        .filter(alert_state::Column::State.is_in(states))
        .order_by_asc(alert_state::Column::Since)
        .order_by_asc(alert_state::Column::Id)
        .all(db)
        .await?;
    let rules =
        alert_rule::Entity::find().filter(alert_rule::Column::Id.is_in(rows.iter().map(|r| r.rule_id))).all(db).await?;
    let projects =
        project::Entity::find().filter(project::Column::Id.is_in(rows.iter().map(|r| r.project_id))).all(db).await?;
    let listed = rows.into_iter().filter_map(|r| {
        let rule = rules.iter().find(|x| x.id == r.rule_id)?;
        let code = &projects.iter().find(|p| p.id == r.project_id)?.code;
        let wanted = filter.project.as_ref().is_none_or(|p| p == code)
            && filter.severity.as_ref().is_none_or(|s| *s == rule.severity)
            && (filter.projects.is_empty() || filter.projects.contains(code));
        wanted.then(|| ActiveAlert {
            project: code.clone(),
            rule_id: rule.id,
            rule: rule.name.clone(),
            severity: rule.severity.clone(),
            subject: r.subject,
            state: Phase::parse(&r.state).unwrap_or(Phase::Inactive),
            value: r.value,
            since: from_micros(r.since),
        })
    });
    Ok(listed.collect())
}

/// One transition of one alert.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertEvent {
    pub id: i64,
    pub rule_id: i64,
    pub rule: String,
    pub subject: String,
    pub from: Phase,
    pub to: Phase,
    pub value: Option<f64>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub at: DateTime<Utc>,
}

pub async fn alert_history(
    db: &impl ConnectionTrait,
    project_id: i64,
    page: &PageRequest,
) -> Result<Page<AlertEvent>, DbErr> {
    let select = alert_event::Entity::find().filter(alert_event::Column::ProjectId.eq(project_id));
    let rows = page.apply(select, alert_event::Column::At, alert_event::Column::Id).all(db).await?;
    let phase = |s: &str| Phase::parse(s).unwrap_or(Phase::Inactive);
    Ok(page.finish(
        rows,
        |r| Cursor { key: r.at, id: r.id },
        |r| AlertEvent {
            id: r.id,
            rule_id: r.rule_id,
            rule: r.rule_name,
            subject: r.subject,
            from: phase(&r.from_state),
            to: phase(&r.to_state),
            value: r.value,
            at: from_micros(r.at),
        },
    ))
}
