use sea_orm::entity::prelude::*;

/// One bucket of a rollup tier; `series` is '' for the index, else an
/// indicator key. Times in µs.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub series: String,
    /// Bucket width in µs.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tier: i64,
    /// Bucket start.
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket: i64,
    pub n: i64,
    pub total: f64,
    pub low: f64,
    pub high: f64,
    pub first_at: i64,
    pub first_value: f64,
    pub last_at: i64,
    pub last_value: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
