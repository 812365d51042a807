//! The shared sites of a petition: networks (a hospital's staff Wi-Fi) where many people sign
//! from one address, marked by staff so that the per-network signing limit does not hold them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SharedSites::Table)
                    .col(big_pk_auto(SharedSites::Id))
                    .col(big_integer(SharedSites::PetitionId))
                    // An address or CIDR range (`203.0.113.0/24`).
                    .col(string_len(SharedSites::Network, 50))
                    .col(string_len(SharedSites::Label, 200))
                    .col(string_len(SharedSites::AddedBy, 320))
                    .col(timestamp_with_time_zone(SharedSites::AddedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SharedSites::Table, SharedSites::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shared_sites_petition_network")
                    .table(SharedSites::Table)
                    .col(SharedSites::PetitionId)
                    .col(SharedSites::Network)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SharedSites::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum SharedSites {
    Table,
    Id,
    PetitionId,
    Network,
    Label,
    AddedBy,
    AddedAt,
}
