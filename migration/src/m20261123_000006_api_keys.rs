use sea_orm_migration::prelude::*;

use crate::columns::{big, drop_table, id, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Role,
    Prefix,
    SecretHash,
    Projects,
    CreatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(id(ApiKeys::Id))
                    .col(string(ApiKeys::Name))
                    .col(ColumnDef::new(ApiKeys::Role).string_len(16).not_null())
                    // The first characters of the secret, so a person can tell keys apart.
                    .col(ColumnDef::new(ApiKeys::Prefix).string_len(16).not_null())
                    // SHA-256 of the secret, hex; the secret itself is never stored.
                    .col(ColumnDef::new(ApiKeys::SecretHash).string_len(64).not_null().unique_key())
                    // JSON array of project codes; empty means every project.
                    .col(text(ApiKeys::Projects))
                    .col(big(ApiKeys::CreatedAt))
                    .col(ColumnDef::new(ApiKeys::RevokedAt).big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, ApiKeys::Table).await
    }
}
