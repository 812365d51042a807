//! Visits of landing pages, counted per day as aggregates: no row per visitor, no address.
//! Scans of a poster's short code are visits of its landing page through that code; visits
//! from an ad's link are counted per `utm_campaign` too.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LandingVisits::Table)
                    // `YYYY-MM-DD`, UTC.
                    .col(string_len(LandingVisits::Day, 10))
                    .col(big_integer(LandingVisits::LandingPageId))
                    // 0 for visits that came through no short code.
                    .col(big_integer(LandingVisits::ShortCodeId).default(0))
                    // The visit's own `utm_campaign` ('' for none).
                    .col(string_len(LandingVisits::UtmCampaign, 255).default(""))
                    .col(big_integer(LandingVisits::Visits).default(0))
                    .primary_key(
                        Index::create()
                            .col(LandingVisits::Day)
                            .col(LandingVisits::LandingPageId)
                            .col(LandingVisits::ShortCodeId)
                            .col(LandingVisits::UtmCampaign),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(LandingVisits::Table, LandingVisits::LandingPageId)
                            .to(LandingPages::Table, LandingPages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(LandingVisits::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum LandingVisits {
    Table,
    Day,
    LandingPageId,
    ShortCodeId,
    UtmCampaign,
    Visits,
}

#[derive(DeriveIden)]
enum LandingPages {
    Table,
    Id,
}
