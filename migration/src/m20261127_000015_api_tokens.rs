//! API tokens for `/api/v1`: made by admins (or on the command line), shown once and stored only
//! as a hash, scoped, revocable, with the time of their last use. A `csv` token is a link for
//! a spreadsheet's import function: it reads one petition's signatures as CSV and nothing else.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(string_len(ApiTokens::Name, 100))
                    // `read`, `write` or `csv`.
                    .col(string_len(ApiTokens::Scope, 16))
                    // SHA-256 of the token, hex: the database never holds a usable token.
                    .col(string_len_uniq(ApiTokens::Hash, 64))
                    // The token's first characters, so people can tell their tokens apart.
                    .col(string_len(ApiTokens::Hint, 16))
                    // The one petition a `csv` token reads.
                    .col(big_integer_null(ApiTokens::PetitionId))
                    .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                    .col(string_len(ApiTokens::CreatedBy, 320))
                    .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                    .col(string_len_null(ApiTokens::RevokedBy, 320))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ApiTokens::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    Name,
    Scope,
    Hash,
    Hint,
    PetitionId,
    CreatedAt,
    CreatedBy,
    LastUsedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}
