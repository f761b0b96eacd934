//! Alert rules of a project.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::entity::{alert_rule, project};
use super::json::{from_json, to_json};
use super::time::serialize_rfc3339;
use super::{from_micros, to_micros};
use crate::domain::{Condition, RuleSpec, Severity};

/// A stored rule: its spec as written, with id and times.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertRule {
    pub id: i64,
    pub project: String,
    #[serde(flatten)]
    pub spec: RuleSpec,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_rfc3339")]
    pub updated_at: DateTime<Utc>,
}

pub async fn insert_rule(db: &impl ConnectionTrait, project_id: i64, spec: &RuleSpec) -> Result<i64, DbErr> {
    let now = to_micros(Utc::now());
    let mut row = active(spec)?;
    row.project_id = Set(project_id);
    row.created_at = Set(now);
    row.updated_at = Set(now);
    Ok(row.insert(db).await?.id)
}

/// Replaces rule `id` of the project; false when there is none. Alerts of
/// the rule keep their state and are judged by the new condition.
pub async fn replace_rule(db: &impl ConnectionTrait, project_id: i64, id: i64, spec: &RuleSpec) -> Result<bool, DbErr> {
    let mut row = active(spec)?;
    row.updated_at = Set(to_micros(Utc::now()));
    let updated = alert_rule::Entity::update_many()
        .set(row)
        .filter(alert_rule::Column::Id.eq(id))
        .filter(alert_rule::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Deletes rule `id` and its alerts (not their history); false when there is none.
pub async fn delete_rule(db: &impl ConnectionTrait, project_id: i64, id: i64) -> Result<bool, DbErr> {
    let deleted = alert_rule::Entity::delete_many()
        .filter(alert_rule::Column::Id.eq(id))
        .filter(alert_rule::Column::ProjectId.eq(project_id))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

pub async fn find_rule(
    db: &impl ConnectionTrait,
    project: &str,
    project_id: i64,
    id: i64,
) -> Result<Option<AlertRule>, DbErr> {
    let row = alert_rule::Entity::find_by_id(id).filter(alert_rule::Column::ProjectId.eq(project_id)).one(db).await?;
    row.map(|r| rule_of(project, r)).transpose()
}

/// Every rule of a project, oldest first; with `enabled_only`, those
/// being evaluated.
pub async fn project_rules(
    db: &impl ConnectionTrait,
    project: &str,
    project_id: i64,
    enabled_only: bool,
) -> Result<Vec<AlertRule>, DbErr> {
    let mut select = alert_rule::Entity::find().filter(alert_rule::Column::ProjectId.eq(project_id));
    if enabled_only {
        select = select.filter(alert_rule::Column::Enabled.eq(true));
    }
    let rows = select.order_by_asc(alert_rule::Column::Id).all(db).await?;
    rows.into_iter().map(|r| rule_of(project, r)).collect()
}

/// Codes of the projects with rules: what the sweep evaluates (disabled
/// rules too, whose alerts resolve).
pub async fn projects_with_rules(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    let ids: Vec<i64> = alert_rule::Entity::find()
        .select_only()
        .column(alert_rule::Column::ProjectId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    project::Entity::find()
        .select_only()
        .column(project::Column::Code)
        .filter(project::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await
}

fn active(spec: &RuleSpec) -> Result<alert_rule::ActiveModel, DbErr> {
    Ok(alert_rule::ActiveModel {
        name: Set(spec.name.trim().to_string()),
        condition: Set(to_json(&spec.condition)?),
        for_secs: Set(spec.for_secs as i64),
        severity: Set(spec.severity.as_str().to_string()),
        labels: Set(to_json(&spec.labels)?),
        annotations: Set(to_json(&spec.annotations)?),
        enabled: Set(spec.enabled),
        ..Default::default()
    })
}

fn rule_of(project: &str, r: alert_rule::Model) -> Result<AlertRule, DbErr> {
    let id = r.id;
    let what = |column: &'static str| move || format!("alert rule {id}'s {column}");
    let condition: Condition = from_json(&r.condition, what("condition"))?;
    let labels: BTreeMap<String, String> = from_json(&r.labels, what("labels"))?;
    let annotations: BTreeMap<String, String> = from_json(&r.annotations, what("annotations"))?;
    let severity = Severity::parse(&r.severity)
        .ok_or_else(|| DbErr::Custom(format!("alert rule {} has severity {:?}", r.id, r.severity)))?;
    Ok(AlertRule {
        id: r.id,
        project: project.to_string(),
        spec: RuleSpec {
            name: r.name,
            condition,
            for_secs: r.for_secs.max(0) as u64,
            severity,
            labels,
            annotations,
            enabled: r.enabled,
        },
        created_at: from_micros(r.created_at),
        updated_at: from_micros(r.updated_at),
    })
}
