use sea_orm::entity::prelude::*;

/// A project whose rollups are still being built from history stored
/// before rollups existed: done up to `cursor`, to do until `end_at` (µs).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "rollup_backfills")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i64,
    pub cursor: i64,
    pub end_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
