//! One-click unsubscribing from update emails (RFC 8058): each such email carries a token of
//! its own, and the addresses that asked to hear no more of a kind of update about a petition.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Emails::Table)
                    .add_column(string_len_null(Emails::UnsubscribeToken, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_emails_unsubscribe_token")
                    .table(Emails::Table)
                    .col(Emails::UnsubscribeToken)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Unsubscribes::Table)
                    // The email's kind (`letter.digest`).
                    .col(string_len(Unsubscribes::Kind, 40))
                    .col(big_integer(Unsubscribes::PetitionId))
                    // Lower case.
                    .col(string_len(Unsubscribes::Address, 320))
                    .col(timestamp_with_time_zone(Unsubscribes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Unsubscribes::Kind)
                            .col(Unsubscribes::PetitionId)
                            .col(Unsubscribes::Address),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Unsubscribes::Table, Unsubscribes::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Unsubscribes::Table).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("idx_emails_unsubscribe_token").table(Emails::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Emails::Table).drop_column(Emails::UnsubscribeToken).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    UnsubscribeToken,
}

#[derive(DeriveIden)]
enum Unsubscribes {
    Table,
    Kind,
    PetitionId,
    Address,
    CreatedAt,
}
