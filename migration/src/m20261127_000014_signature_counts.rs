//! Counted signatures as aggregates kept up to date by every write that changes what counts,
//! so that the dashboard reads a few hundred rows instead of every signature:
//! - `signature_counts`: per petition and hour (UTC), per attribution (landing page, source,
//!   `utm_campaign`, referrer, share text) and whether the signature made a new supporter;
//! - `signature_regions`: per petition and postal-code region.
//!
//! Both are filled from the signatures already stored by the server after it migrates (the
//! setting `rebuild_signature_counts` asks for it), since a region is worked out in Rust.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignatureCounts::Table)
                    .col(big_integer(SignatureCounts::PetitionId))
                    // `YYYY-MM-DDTHH`, UTC.
                    .col(string_len(SignatureCounts::Hour, 13))
                    // '' for none, in each of these.
                    .col(string_len(SignatureCounts::LandingPage, 255).default(""))
                    .col(string_len(SignatureCounts::Source, 255).default(""))
                    .col(string_len(SignatureCounts::UtmCampaign, 255).default(""))
                    .col(string_len(SignatureCounts::Referrer, 255).default(""))
                    // 0 for none.
                    .col(big_integer(SignatureCounts::ShareTextId).default(0))
                    .col(boolean(SignatureCounts::NewSupporter))
                    .col(big_integer(SignatureCounts::Signatures).default(0))
                    .primary_key(
                        Index::create()
                            .col(SignatureCounts::PetitionId)
                            .col(SignatureCounts::Hour)
                            .col(SignatureCounts::LandingPage)
                            .col(SignatureCounts::Source)
                            .col(SignatureCounts::UtmCampaign)
                            .col(SignatureCounts::Referrer)
                            .col(SignatureCounts::ShareTextId)
                            .col(SignatureCounts::NewSupporter),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignatureCounts::Table, SignatureCounts::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignatureRegions::Table)
                    .col(big_integer(SignatureRegions::PetitionId))
                    // '' for signatures without a postal code.
                    .col(string_len(SignatureRegions::Region, 16).default(""))
                    .col(big_integer(SignatureRegions::Signatures).default(0))
                    .primary_key(
                        Index::create().col(SignatureRegions::PetitionId).col(SignatureRegions::Region),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignatureRegions::Table, SignatureRegions::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        let mut ask = Query::insert();
        ask.into_table(Settings::Table)
            .columns([Settings::Key, Settings::Value])
            .on_conflict(OnConflict::column(Settings::Key).do_nothing().to_owned());
        ask.values(["rebuild_signature_counts".into(), "1".into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
        manager.exec_stmt(ask).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SignatureRegions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SignatureCounts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum SignatureCounts {
    Table,
    PetitionId,
    Hour,
    LandingPage,
    Source,
    UtmCampaign,
    Referrer,
    ShareTextId,
    NewSupporter,
    Signatures,
}

#[derive(DeriveIden)]
enum SignatureRegions {
    Table,
    PetitionId,
    Region,
    Signatures,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}
