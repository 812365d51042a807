//! Retention: when a petition closed (its signers' personal data is anonymised a set time
//! after), and when that was done.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Petitions::ClosedAt, Petitions::AnonymisedAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Petitions::Table)
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        // Campaigns closed before this was kept count from now: an upgrade never anonymises
        // anyone at once, before its operators have seen the setting.
        manager
            .exec_stmt(
                Query::update()
                    .table(Petitions::Table)
                    .value(Petitions::ClosedAt, chrono::Utc::now())
                    .and_where(Expr::col(Petitions::Status).eq("closed"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Petitions::ClosedAt, Petitions::AnonymisedAt] {
            manager
                .alter_table(Table::alter().table(Petitions::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Status,
    ClosedAt,
    AnonymisedAt,
}
