use sea_orm_migration::prelude::*;

use crate::columns::{belongs_to_project, big, drop_table, id, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sources {
    Table,
    Id,
    ProjectId,
    Name,
    Url,
    Method,
    Headers,
    Body,
    Schedule,
    TimeoutMs,
    Enabled,
    Mappings,
    LastRunAt,
    LastSuccessAt,
    LastError,
    LastValues,
    ConsecutiveFailures,
    NextRunAt,
    LeaseOwner,
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Sources::Table)
                    .col(id(Sources::Id))
                    .col(big(Sources::ProjectId))
                    .col(string(Sources::Name))
                    .col(text(Sources::Url))
                    .col(ColumnDef::new(Sources::Method).string_len(8).not_null())
                    // JSON object; values are secrets and never leave the server.
                    .col(text(Sources::Headers))
                    .col(ColumnDef::new(Sources::Body).text().null())
                    .col(string(Sources::Schedule))
                    .col(ColumnDef::new(Sources::TimeoutMs).big_integer().null())
                    .col(ColumnDef::new(Sources::Enabled).boolean().not_null())
                    // JSON array of {indicator, path}.
                    .col(text(Sources::Mappings))
                    .col(ColumnDef::new(Sources::LastRunAt).big_integer().null())
                    .col(ColumnDef::new(Sources::LastSuccessAt).big_integer().null())
                    .col(ColumnDef::new(Sources::LastError).text().null())
                    .col(ColumnDef::new(Sources::LastValues).text().null())
                    .col(ColumnDef::new(Sources::ConsecutiveFailures).integer().not_null().default(0))
                    .col(ColumnDef::new(Sources::NextRunAt).big_integer().null())
                    .col(ColumnDef::new(Sources::LeaseOwner).string().null())
                    .col(ColumnDef::new(Sources::LeaseUntil).big_integer().null())
                    .col(big(Sources::CreatedAt))
                    .col(big(Sources::UpdatedAt))
                    .foreign_key(&mut belongs_to_project(Sources::Table, Sources::ProjectId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("idx_sources_due").table(Sources::Table).col(Sources::NextRunAt).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, Sources::Table).await
    }
}
