//! Petitions (and open letters), their recipients, supporters, signatures, per-petition
//! tallies, ad landing pages and instance settings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(string_len(Settings::Key, 64).primary_key())
                    .col(text(Settings::Value))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Petitions::Table)
                    .col(big_pk_auto(Petitions::Id))
                    .col(string_len_uniq(Petitions::Slug, 100))
                    .col(string_len(Petitions::Kind, 16))
                    .col(string_len(Petitions::Status, 16))
                    .col(string_len(Petitions::Locale, 8))
                    .col(string_len(Petitions::Title, 200))
                    .col(text(Petitions::Summary))
                    .col(text(Petitions::Body))
                    .col(big_integer(Petitions::Goal))
                    .col(big_integer(Petitions::OfflineCount).default(0))
                    .col(string_len(Petitions::PostalCountry, 2))
                    .col(text_null(Petitions::ImageUrl))
                    .col(timestamp_with_time_zone(Petitions::CreatedAt))
                    .col(timestamp_with_time_zone(Petitions::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Recipients::Table)
                    .col(big_pk_auto(Recipients::Id))
                    .col(big_integer(Recipients::PetitionId))
                    .col(integer(Recipients::Position))
                    .col(string_len(Recipients::Name, 200))
                    .col(string_len(Recipients::Title, 200))
                    .col(string_len(Recipients::Organisation, 200))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Recipients::Table, Recipients::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recipients_petition")
                    .table(Recipients::Table)
                    .col(Recipients::PetitionId)
                    .col(Recipients::Position)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LandingPages::Table)
                    .col(big_pk_auto(LandingPages::Id))
                    .col(string_len_uniq(LandingPages::Slug, 100))
                    .col(big_integer(LandingPages::PetitionId))
                    .col(string_len(LandingPages::Locale, 8))
                    .col(string_len(LandingPages::Headline, 200))
                    .col(text(LandingPages::Body))
                    .col(text_null(LandingPages::ImageUrl))
                    .col(timestamp_with_time_zone(LandingPages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LandingPages::Table, LandingPages::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Supporters::Table)
                    .col(big_pk_auto(Supporters::Id))
                    .col(string_len_uniq(Supporters::EmailCanonical, 320))
                    .col(string_len(Supporters::Email, 320))
                    .col(string_len(Supporters::GivenName, 100))
                    .col(string_len(Supporters::FamilyName, 100))
                    .col(string_len(Supporters::PostalCode, 16))
                    .col(string_len_null(Supporters::Phone, 32))
                    .col(timestamp_with_time_zone(Supporters::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Signatures::Table)
                    .col(big_pk_auto(Signatures::Id))
                    .col(big_integer(Signatures::PetitionId))
                    .col(big_integer(Signatures::SupporterId))
                    .col(string_len(Signatures::Status, 16))
                    .col(string_len(Signatures::GivenName, 100))
                    .col(string_len(Signatures::FamilyName, 100))
                    .col(string_len(Signatures::Email, 320))
                    .col(string_len(Signatures::PostalCode, 16))
                    .col(string_len_null(Signatures::Phone, 32))
                    .col(string_len_null(Signatures::Employer, 200))
                    .col(text_null(Signatures::Comment))
                    .col(boolean(Signatures::EmailOptIn))
                    .col(boolean(Signatures::PublicName))
                    .col(string_len_null(Signatures::Source, 100))
                    .col(string_len_null(Signatures::Referrer, 255))
                    .col(string_len_null(Signatures::LandingPage, 100))
                    .col(string_len_null(Signatures::UtmSource, 100))
                    .col(string_len_null(Signatures::UtmMedium, 100))
                    .col(string_len_null(Signatures::UtmCampaign, 100))
                    .col(string_len_null(Signatures::UtmContent, 100))
                    .col(string_len_null(Signatures::UtmTerm, 100))
                    .col(string_len_null(Signatures::RefCode, 32))
                    .col(string_len_uniq(Signatures::ShareCode, 32))
                    .col(timestamp_with_time_zone(Signatures::SignedAt))
                    .col(timestamp_with_time_zone_null(Signatures::ConfirmedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signatures::Table, Signatures::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Signatures::Table, Signatures::SupporterId)
                            .to(Supporters::Table, Supporters::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // One signature per person per petition: the database is the final judge.
        manager
            .create_index(
                Index::create()
                    .name("uq_signatures_petition_supporter")
                    .table(Signatures::Table)
                    .col(Signatures::PetitionId)
                    .col(Signatures::SupporterId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Exports and recounts walk one petition's signatures of one status in id order.
        manager
            .create_index(
                Index::create()
                    .name("idx_signatures_petition_status")
                    .table(Signatures::Table)
                    .col(Signatures::PetitionId)
                    .col(Signatures::Status)
                    .col(Signatures::Id)
                    .to_owned(),
            )
            .await?;

        // The count bookkeeping: one row per petition, bumped once per committed batch.
        manager
            .create_table(
                Table::create()
                    .table(PetitionTallies::Table)
                    .col(big_integer(PetitionTallies::PetitionId).primary_key())
                    .col(big_integer(PetitionTallies::Validated).default(0))
                    .col(big_integer(PetitionTallies::Version).default(0))
                    .col(timestamp_with_time_zone(PetitionTallies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PetitionTallies::Table, PetitionTallies::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PetitionTallies::Table.into_iden(),
            Signatures::Table.into_iden(),
            Supporters::Table.into_iden(),
            LandingPages::Table.into_iden(),
            Recipients::Table.into_iden(),
            Petitions::Table.into_iden(),
            Settings::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
    Slug,
    Kind,
    Status,
    Locale,
    Title,
    Summary,
    Body,
    Goal,
    OfflineCount,
    PostalCountry,
    ImageUrl,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Recipients {
    Table,
    Id,
    PetitionId,
    Position,
    Name,
    Title,
    Organisation,
}

#[derive(DeriveIden)]
enum LandingPages {
    Table,
    Id,
    Slug,
    PetitionId,
    Locale,
    Headline,
    Body,
    ImageUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Supporters {
    Table,
    Id,
    EmailCanonical,
    Email,
    GivenName,
    FamilyName,
    PostalCode,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Id,
    PetitionId,
    SupporterId,
    Status,
    GivenName,
    FamilyName,
    Email,
    PostalCode,
    Phone,
    Employer,
    Comment,
    EmailOptIn,
    PublicName,
    Source,
    Referrer,
    LandingPage,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmContent,
    UtmTerm,
    RefCode,
    ShareCode,
    SignedAt,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum PetitionTallies {
    Table,
    PetitionId,
    Validated,
    Version,
    UpdatedAt,
}
