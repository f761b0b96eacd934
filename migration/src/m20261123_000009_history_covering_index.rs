use sea_orm_migration::prelude::*;

use crate::m20261123_000004_results::Results;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OLD: &str = "idx_results_history";
const NEW: &str = "idx_results_history_points";

/// The history index also carries what a history page shows, so a page is
/// read from the index alone instead of visiting every result row (whose
/// breakdown spreads them over many pages).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let shown = [Results::Value, Results::Coverage, Results::Revision];
        manager.create_index(history_index(NEW).col(shown[0]).col(shown[1]).col(shown[2]).to_owned()).await?;
        drop_index(manager, OLD).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(history_index(OLD)).await?;
        drop_index(manager, NEW).await
    }
}

fn history_index(name: &str) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(Results::Table)
        .col(Results::ProjectId)
        .col(Results::ComputedAt)
        .col(Results::Id)
        .to_owned()
}

async fn drop_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager.drop_index(Index::drop().name(name).table(Results::Table).to_owned()).await
}
