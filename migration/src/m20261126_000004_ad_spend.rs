//! Ad spend per petition, day and campaign (imported from the ad platforms' exports) or per
//! landing page and day (entered by hand), for cost per signature.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AdSpend::Table)
                    .col(big_pk_auto(AdSpend::Id))
                    .col(big_integer(AdSpend::PetitionId))
                    // `YYYY-MM-DD`.
                    .col(string_len(AdSpend::Day, 10))
                    // `meta`, `google` or `manual`.
                    .col(string_len(AdSpend::Platform, 16))
                    // The campaign as the platform names it ('' for spend entered per landing page).
                    .col(string_len(AdSpend::Campaign, 100).default(""))
                    // 0 unless entered for one landing page.
                    .col(big_integer(AdSpend::LandingPageId).default(0))
                    .col(big_integer(AdSpend::AmountCents))
                    .col(string_len(AdSpend::Currency, 3))
                    .col(big_integer_null(AdSpend::Impressions))
                    .col(big_integer_null(AdSpend::Clicks))
                    .col(timestamp_with_time_zone(AdSpend::ImportedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AdSpend::Table, AdSpend::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Importing an overlapping export again replaces its days instead of adding to them.
        manager
            .create_index(
                Index::create()
                    .name("idx_ad_spend_unique")
                    .table(AdSpend::Table)
                    .col(AdSpend::PetitionId)
                    .col(AdSpend::Day)
                    .col(AdSpend::Platform)
                    .col(AdSpend::Campaign)
                    .col(AdSpend::LandingPageId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AdSpend::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum AdSpend {
    Table,
    Id,
    PetitionId,
    Day,
    Platform,
    Campaign,
    LandingPageId,
    AmountCents,
    Currency,
    Impressions,
    Clicks,
    ImportedAt,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}
