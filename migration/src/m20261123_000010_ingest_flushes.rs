use sea_orm_migration::prelude::*;

use crate::columns::{big, drop_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IngestFlushes {
    Table,
    Slot,
    Count,
}

/// A counter per ingest writer, bumped in a synchronous commit to flush the
/// WAL past the writer's asynchronous commits: PostgreSQL flushes only at a
/// commit that wrote WAL.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IngestFlushes::Table)
                    .col(big(IngestFlushes::Slot).primary_key())
                    .col(big(IngestFlushes::Count))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_table(manager, IngestFlushes::Table).await
    }
}
