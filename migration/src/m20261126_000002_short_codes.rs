//! Short codes: `/q/{code}`, printed as QR codes on posters and flyers, each leading to one
//! landing page and crediting the scans and signatures to that poster.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShortCodes::Table)
                    .col(big_pk_auto(ShortCodes::Id))
                    .col(string_len_uniq(ShortCodes::Code, 32))
                    .col(big_integer(ShortCodes::LandingPageId))
                    .col(string_len_null(ShortCodes::Source, 100))
                    .col(string_len_null(ShortCodes::Label, 200))
                    .col(timestamp_with_time_zone(ShortCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShortCodes::Table, ShortCodes::LandingPageId)
                            .to(LandingPages::Table, LandingPages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_short_codes_landing_page")
                    .table(ShortCodes::Table)
                    .col(ShortCodes::LandingPageId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ShortCodes::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ShortCodes {
    Table,
    Id,
    Code,
    LandingPageId,
    Source,
    Label,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LandingPages {
    Table,
    Id,
}
