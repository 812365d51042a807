//! Campaign values (`source`, `utm_*`) of up to 255 characters, as ad platforms allow. SQLite
//! does not enforce text lengths; on PostgreSQL widening a `varchar` rewrites nothing.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 6] = ["source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"];

async fn resize(manager: &SchemaManager<'_>, to: usize) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let changes: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("ALTER COLUMN {c} TYPE varchar({to}) USING left({c}, {to})"))
        .collect();
    manager
        .get_connection()
        .execute_unprepared(&format!("ALTER TABLE signatures {}", changes.join(", ")))
        .await?;
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE ad_spend ALTER COLUMN campaign TYPE varchar({to}) USING left(campaign, {to})"
        ))
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        resize(manager, 255).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        resize(manager, 100).await
    }
}
