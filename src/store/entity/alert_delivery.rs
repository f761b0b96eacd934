use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `alertmanager` or `webhook`.
    pub kind: String,
    /// The Alertmanager URL or the webhook's name (its secret stays in the
    /// configuration).
    pub receiver: String,
    /// The notification as JSON.
    pub body: String,
    pub idempotency_key: String,
    pub created_at: i64,
    pub next_at: i64,
    pub attempts: i64,
    /// A process sending it holds it until then.
    pub lease_until: i64,
    pub delivered_at: Option<i64>,
    pub last_error: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
