//! On PostgreSQL, where several server processes may sign into one database, the per-network
//! limit is also checked against stored signatures: this index finds a network's recent ones.
//! (SQLite is written by one process, whose limiters see every signature.)

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "idx_signatures_network_recent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {NAME} ON signatures (network_hash, signed_at) WHERE network_hash IS NOT NULL"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {NAME}")).await.map(|_| ())
    }
}
