//! An index for walking all of one petition's signatures in id order (exports of every status),
//! so that neither database has to sort a large petition to stream it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Signatures {
    Table,
    PetitionId,
    Id,
}

const NAME: &str = "idx_signatures_petition_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Signatures::Table)
                    .col(Signatures::PetitionId)
                    .col(Signatures::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table(Signatures::Table).to_owned()).await
    }
}
