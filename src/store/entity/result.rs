use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "results")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub value: f64,
    /// When the server computed it.
    pub computed_at: i64,
    pub revision: i64,
    pub coverage: f64,
    pub breakdown: String,
    /// `at,value,coverage,revision`, for history pages.
    pub point: String,
    /// The event time this point describes.
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
