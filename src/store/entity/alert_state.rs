use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_states")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rule_id: i64,
    pub project_id: i64,
    /// `""` (the project), an indicator key or `source:ID`.
    pub subject: String,
    /// `domain::Phase`.
    pub state: String,
    pub value: Option<f64>,
    /// When the current phase began.
    pub since: i64,
    pub fired_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// Bumped by every transition; a transition applies only to the version
    /// it was computed from.
    pub version: i64,
    /// When a firing alert was last queued for Alertmanager.
    pub sent_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
