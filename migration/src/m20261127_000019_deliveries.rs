//! Deliveries: a letter or petition handed to its recipients, frozen as it was at a cut-off
//! (the count, the breakdown, the signer list and its SHA-256), with an unguessable public id for
//! its public record. Petitions also learn when they opened, since a cut-off cannot be earlier.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Petitions::Table)
                    .add_column(timestamp_with_time_zone_null(Petitions::OpenedAt))
                    .to_owned(),
            )
            .await?;
        // Those already published opened, at the latest, when they were made.
        manager
            .get_connection()
            .execute_unprepared("UPDATE petitions SET opened_at = created_at WHERE status <> 'draft'")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .col(big_pk_auto(Deliveries::Id))
                    // 128 random bits (hex): the public record's address.
                    .col(string_len_uniq(Deliveries::PublicId, 32))
                    .col(big_integer(Deliveries::PetitionId))
                    .col(timestamp_with_time_zone(Deliveries::Cutoff))
                    .col(timestamp_with_time_zone(Deliveries::CreatedAt))
                    .col(string_len(Deliveries::CreatedBy, 320))
                    // The optional columns of the signer list, comma-separated.
                    .col(string_len(Deliveries::Fields, 200))
                    // The words delivered, as they were.
                    .col(string_len(Deliveries::Title, 300))
                    .col(text(Deliveries::Body))
                    .col(string_len(Deliveries::Locale, 16))
                    // JSON: [{"name", "title", "organisation"}].
                    .col(text(Deliveries::Recipients))
                    // Signatures listed (validated, signed by the cut-off), and how many are named.
                    .col(big_integer(Deliveries::Signers))
                    .col(big_integer(Deliveries::Named))
                    // Offline signatures counted by staff by the cut-off (not listed).
                    .col(big_integer(Deliveries::Offline))
                    // JSON: {"regions": [[key, n]…], "worksites": …, "days": …}.
                    .col(text(Deliveries::Breakdown))
                    // The signer list (CSV, see README) and its SHA-256 in hex.
                    .col(text(Deliveries::SignersCsv))
                    .col(string_len(Deliveries::Digest, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deliveries::Table, Deliveries::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_petition")
                    .table(Deliveries::Table)
                    .col(Deliveries::PetitionId)
                    .col(Deliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Deliveries::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Petitions::Table).drop_column(Petitions::OpenedAt).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Id,
    PublicId,
    PetitionId,
    Cutoff,
    CreatedAt,
    CreatedBy,
    Fields,
    Title,
    Body,
    Locale,
    Recipients,
    Signers,
    Named,
    Offline,
    Breakdown,
    SignersCsv,
    Digest,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
    OpenedAt,
}
