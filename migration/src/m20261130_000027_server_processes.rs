//! The server processes serving one database, each saying every second that it is there, so
//! that the network limit is checked in the database while more than one signs into it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServerProcesses::Table)
                    .col(string_len(ServerProcesses::Id, 64).primary_key())
                    .col(timestamp_with_time_zone(ServerProcesses::StartedAt))
                    .col(timestamp_with_time_zone(ServerProcesses::SeenAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ServerProcesses::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ServerProcesses {
    Table,
    Id,
    StartedAt,
    SeenAt,
}
