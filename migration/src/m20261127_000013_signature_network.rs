//! A keyed hash of the network each signature came from (the IPv4 address, or the IPv6 /64),
//! so that staff can find and invalidate a burst from one place without any address being kept.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(string_len_null(Signatures::NetworkHash, 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Signatures::Table).drop_column(Signatures::NetworkHash).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    NetworkHash,
}
