//! The hours in which a petition's signing raised a review notice, each recorded once so that
//! its email goes to staff once, however many server processes look.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewNotices::Table)
                    .col(big_integer(ReviewNotices::PetitionId))
                    .col(timestamp_with_time_zone(ReviewNotices::Hour))
                    .col(integer(ReviewNotices::Networks))
                    .col(integer(ReviewNotices::Domains))
                    .col(timestamp_with_time_zone(ReviewNotices::NoticedAt))
                    .primary_key(Index::create().col(ReviewNotices::PetitionId).col(ReviewNotices::Hour))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReviewNotices::Table, ReviewNotices::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ReviewNotices::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ReviewNotices {
    Table,
    PetitionId,
    Hour,
    Networks,
    Domains,
    NoticedAt,
}
