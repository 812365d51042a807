//! Landing pages become live pages: a status (draft, live, retired), button text, an optional
//! video link, an attribution source, and a hero image stored in the database (`images`), so
//! that every server process can serve it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Images::Table)
                    .col(big_pk_auto(Images::Id))
                    .col(string_len_uniq(Images::Sha256, 64))
                    .col(string_len(Images::ContentType, 32))
                    .col(integer(Images::Width))
                    .col(integer(Images::Height))
                    .col(blob(Images::Data))
                    .col(timestamp_with_time_zone(Images::CreatedAt))
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        let columns = [
            string_len(LandingPages::Status, 16).default("live").to_owned(),
            text_null(LandingPages::ButtonText),
            text_null(LandingPages::VideoUrl),
            string_len_null(LandingPages::Source, 100),
            big_integer_null(LandingPages::ImageId),
            text_null(LandingPages::ImageAlt),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(LandingPages::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            LandingPages::Status,
            LandingPages::ButtonText,
            LandingPages::VideoUrl,
            LandingPages::Source,
            LandingPages::ImageId,
            LandingPages::ImageAlt,
        ] {
            manager
                .alter_table(Table::alter().table(LandingPages::Table).drop_column(column).to_owned())
                .await?;
        }
        manager.drop_table(Table::drop().table(Images::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
    Sha256,
    ContentType,
    Width,
    Height,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LandingPages {
    Table,
    Status,
    ButtonText,
    VideoUrl,
    Source,
    ImageId,
    ImageAlt,
}
