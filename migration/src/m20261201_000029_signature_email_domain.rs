//! A signature's email domain, kept when the per-domain limit counted it (a public signature
//! whose address is not at a large provider), so that on PostgreSQL the limit can be checked
//! against stored signatures across server processes, as the network limit is. Anonymising a
//! signature clears it.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_signatures_domain_recent";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(string_len_null(Signatures::EmailDomain, 255))
                    .to_owned(),
            )
            .await?;
        // SQLite is written by one process, whose limiters see every signature.
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX IF NOT EXISTS {INDEX} ON signatures (petition_id, email_domain, signed_at) \
                 WHERE email_domain IS NOT NULL"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared(&format!("DROP INDEX IF EXISTS {INDEX}")).await?;
        }
        manager
            .alter_table(
                Table::alter().table(Signatures::Table).drop_column(Signatures::EmailDomain).to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    EmailDomain,
}
