use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, id, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AlertRules {
    Table,
    Id,
    ProjectId,
    Name,
    Condition,
    ForSecs,
    Severity,
    Labels,
    Annotations,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertStates {
    Table,
    Id,
    RuleId,
    ProjectId,
    Subject,
    State,
    Value,
    Since,
    FiredAt,
    ResolvedAt,
    Version,
    SentAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertEvents {
    Table,
    Id,
    RuleId,
    ProjectId,
    RuleName,
    Subject,
    FromState,
    ToState,
    Value,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertDeliveries {
    Table,
    Id,
    Kind,
    Receiver,
    Body,
    IdempotencyKey,
    CreatedAt,
    NextAt,
    Attempts,
    LeaseUntil,
    DeliveredAt,
    LastError,
}

/// Alerting: rules per project; one state row per rule and subject, moved
/// by conditional updates on `version` so that of several processes
/// evaluating at once exactly one makes each transition; the transitions'
/// history; and the outbox of notifications, written in the transaction of
/// the transition it reports, delivered (at least once) from there.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .col(id(AlertRules::Id))
                    .col(big(AlertRules::ProjectId))
                    .col(string(AlertRules::Name))
                    .col(text(AlertRules::Condition))
                    .col(big(AlertRules::ForSecs))
                    .col(string(AlertRules::Severity))
                    .col(text(AlertRules::Labels))
                    .col(text(AlertRules::Annotations))
                    .col(ColumnDef::new(AlertRules::Enabled).boolean().not_null())
                    .col(big(AlertRules::CreatedAt))
                    .col(big(AlertRules::UpdatedAt))
                    .foreign_key(&mut belongs_to_project(AlertRules::Table, AlertRules::ProjectId))
                    .to_owned(),
            )
            .await?;
        index(manager, "idx_alert_rules_project", AlertRules::Table, &[AlertRules::ProjectId], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertStates::Table)
                    .col(id(AlertStates::Id))
                    .col(big(AlertStates::RuleId))
                    .col(big(AlertStates::ProjectId))
                    .col(string(AlertStates::Subject))
                    .col(string(AlertStates::State))
                    .col(ColumnDef::new(AlertStates::Value).double().null())
                    .col(big(AlertStates::Since))
                    .col(ColumnDef::new(AlertStates::FiredAt).big_integer().null())
                    .col(ColumnDef::new(AlertStates::ResolvedAt).big_integer().null())
                    .col(big(AlertStates::Version))
                    .col(big(AlertStates::SentAt))
                    .col(big(AlertStates::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertStates::Table, AlertStates::RuleId)
                            .to(AlertRules::Table, AlertRules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut belongs_to_project(AlertStates::Table, AlertStates::ProjectId))
                    .to_owned(),
            )
            .await?;
        let key = [AlertStates::RuleId, AlertStates::Subject];
        index(manager, "idx_alert_states_subject", AlertStates::Table, &key, true).await?;
        index(manager, "idx_alert_states_state", AlertStates::Table, &[AlertStates::State], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertEvents::Table)
                    .col(id(AlertEvents::Id))
                    .col(big(AlertEvents::RuleId))
                    .col(big(AlertEvents::ProjectId))
                    .col(string(AlertEvents::RuleName))
                    .col(string(AlertEvents::Subject))
                    .col(string(AlertEvents::FromState))
                    .col(string(AlertEvents::ToState))
                    .col(ColumnDef::new(AlertEvents::Value).double().null())
                    .col(big(AlertEvents::At))
                    .foreign_key(&mut belongs_to_project(AlertEvents::Table, AlertEvents::ProjectId))
                    .to_owned(),
            )
            .await?;
        let by_time = [AlertEvents::ProjectId, AlertEvents::At, AlertEvents::Id];
        index(manager, "idx_alert_events_project", AlertEvents::Table, &by_time, false).await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertDeliveries::Table)
                    .col(id(AlertDeliveries::Id))
                    .col(string(AlertDeliveries::Kind))
                    .col(string(AlertDeliveries::Receiver))
                    .col(text(AlertDeliveries::Body))
                    .col(string(AlertDeliveries::IdempotencyKey))
                    .col(big(AlertDeliveries::CreatedAt))
                    .col(big(AlertDeliveries::NextAt))
                    .col(big(AlertDeliveries::Attempts))
                    .col(big(AlertDeliveries::LeaseUntil))
                    .col(ColumnDef::new(AlertDeliveries::DeliveredAt).big_integer().null())
                    .col(text(AlertDeliveries::LastError))
                    .to_owned(),
            )
            .await?;
        // Each receiver's oldest undelivered notification.
        let queue = [AlertDeliveries::Receiver, AlertDeliveries::DeliveredAt, AlertDeliveries::Id];
        index(manager, "idx_alert_deliveries_queue", AlertDeliveries::Table, &queue, false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, AlertDeliveries::Table).await?;
        drop_table(manager, AlertEvents::Table).await?;
        drop_table(manager, AlertStates::Table).await?;
        drop_table(manager, AlertRules::Table).await
    }
}

async fn index<T: IntoIden + Copy + 'static>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: &[T],
    unique: bool,
) -> Result<(), DbErr> {
    let mut create = Index::create().name(name).table(table).to_owned();
    for column in columns {
        create.col(*column);
    }
    if unique {
        create.unique();
    }
    manager.create_index(create).await
}
