//! Clicks on share buttons, counted per petition, day, network and share wording as
//! aggregates: no row per click, nothing about who clicked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShareClicks::Table)
                    // `YYYY-MM-DD`, UTC.
                    .col(string_len(ShareClicks::Day, 10))
                    .col(big_integer(ShareClicks::PetitionId))
                    // `facebook`, `x`, … (the names of `/p/{slug}/share/{network}`).
                    .col(string_len(ShareClicks::Network, 16))
                    // The share wording the click used; 0 for the petition's own.
                    .col(big_integer(ShareClicks::VariantId).default(0))
                    .col(big_integer(ShareClicks::Clicks).default(0))
                    .primary_key(
                        Index::create()
                            .col(ShareClicks::Day)
                            .col(ShareClicks::PetitionId)
                            .col(ShareClicks::Network)
                            .col(ShareClicks::VariantId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShareClicks::Table, ShareClicks::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ShareClicks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ShareClicks {
    Table,
    Day,
    PetitionId,
    Network,
    VariantId,
    Clicks,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}
