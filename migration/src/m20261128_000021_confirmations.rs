//! Email confirmation: a petition can ask its signers to confirm their address, and each
//! signature waiting for that has one row here with the hashes of the links it was sent (the
//! first email's and the reminder's). The links themselves are never stored.

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
                    .add_column(boolean(Petitions::RequireConfirmation).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Confirmations::Table)
                    .col(big_integer(Confirmations::SignatureId).primary_key())
                    .col(big_integer(Confirmations::PetitionId))
                    // SHA-256 of the link's token, hex.
                    .col(string_len(Confirmations::TokenHash, 64).unique_key())
                    .col(string_len_null(Confirmations::ReminderHash, 64).unique_key())
                    // The language of the page signed on: the reminder's language.
                    .col(string_len(Confirmations::Locale, 8))
                    .col(timestamp_with_time_zone(Confirmations::CreatedAt))
                    .col(timestamp_with_time_zone(Confirmations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Confirmations::RemindedAt))
                    .col(timestamp_with_time_zone_null(Confirmations::ConfirmedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Confirmations::Table, Confirmations::SignatureId)
                            .to(Signatures::Table, Signatures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The reminder looks only at links neither confirmed nor reminded yet.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_confirmations_unreminded ON confirmations (created_at) \
                 WHERE reminded_at IS NULL AND confirmed_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Confirmations::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter().table(Petitions::Table).drop_column(Petitions::RequireConfirmation).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    RequireConfirmation,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Confirmations {
    Table,
    SignatureId,
    PetitionId,
    TokenHash,
    ReminderHash,
    Locale,
    CreatedAt,
    ExpiresAt,
    RemindedAt,
    ConfirmedAt,
}
