//! A petition may put the instance's human check (Turnstile or hCaptcha) on its signing form.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Petitions::Table)
                    .add_column(boolean(Petitions::Captcha).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Petitions::Table).drop_column(Petitions::Captcha).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Captcha,
}
