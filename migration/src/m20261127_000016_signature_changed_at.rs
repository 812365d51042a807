//! When a signature last changed after it was made (its status, by staff or, later, by a
//! confirmation), for the API's incremental sync. NULL for a signature never changed, so the
//! partial index that finds changes holds only changed signatures and signing pays nothing.

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
                    .add_column(timestamp_with_time_zone_null(Signatures::ChangedAt))
                    .to_owned(),
            )
            .await?;
        // The same statement in both databases (each has partial indexes).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_signatures_changed ON signatures (petition_id, changed_at, id) \
                 WHERE changed_at IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX idx_signatures_changed").await?;
        manager
            .alter_table(
                Table::alter().table(Signatures::Table).drop_column(Signatures::ChangedAt).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    ChangedAt,
}
