//! A petition's (or letter's) text in other languages, shown to visitors who read those.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PetitionTranslations::Table)
                    .col(big_integer(PetitionTranslations::PetitionId))
                    .col(string_len(PetitionTranslations::Locale, 8))
                    .col(string_len(PetitionTranslations::Title, 200))
                    .col(text(PetitionTranslations::Summary))
                    .col(text(PetitionTranslations::Body))
                    .primary_key(
                        Index::create()
                            .col(PetitionTranslations::PetitionId)
                            .col(PetitionTranslations::Locale),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PetitionTranslations::Table, PetitionTranslations::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(PetitionTranslations::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum PetitionTranslations {
    Table,
    PetitionId,
    Locale,
    Title,
    Summary,
    Body,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}
