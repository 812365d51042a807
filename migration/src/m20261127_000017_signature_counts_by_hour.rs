//! The list of campaigns reads every campaign's counts for today and the last 7 days: by hour,
//! through this index, rather than through every campaign's whole history.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_signature_counts_hour")
                    .table(SignatureCounts::Table)
                    .col(SignatureCounts::Hour)
                    .col(SignatureCounts::PetitionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("idx_signature_counts_hour").table(SignatureCounts::Table).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum SignatureCounts {
    Table,
    Hour,
    PetitionId,
}
