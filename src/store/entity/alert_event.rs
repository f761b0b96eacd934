use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Kept when the rule is deleted, with its name, for the history.
    pub rule_id: i64,
    pub project_id: i64,
    pub rule_name: String,
    pub subject: String,
    pub from_state: String,
    pub to_state: String,
    pub value: Option<f64>,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
