use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `recompute` (late values, imports, upgrades) or `rescore`.
    pub kind: String,
    pub project_id: i64,
    /// `pending`, `running` or `done`.
    pub state: String,
    pub from_at: i64,
    /// Exclusive end; NULL: to the end of the history.
    pub to_at: Option<i64>,
    /// Everything before it is recomputed.
    pub cursor: i64,
    /// Points written so far.
    pub points: i64,
    /// The last failure, if any; the job is retried.
    pub error: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
