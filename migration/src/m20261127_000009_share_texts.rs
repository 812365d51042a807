//! Share texts: the wordings (and preview images) staff give a petition's share buttons, one
//! chosen per click. A signature records the wording of the link that brought it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShareTexts::Table)
                    .col(big_pk_auto(ShareTexts::Id))
                    .col(big_integer(ShareTexts::PetitionId))
                    // The language of the pages whose share buttons offer it (`en`, `es`).
                    .col(string_len(ShareTexts::Locale, 16))
                    // The message suggested to the sharer, before the link.
                    .col(string_len(ShareTexts::Text, 500))
                    // The preview image of links shared with it (else the page's own).
                    .col(big_integer_null(ShareTexts::ImageId))
                    .col(string_len_null(ShareTexts::ImageAlt, 500))
                    // `live` (offered) or `retired` (no longer offered; its figures stay).
                    .col(string_len(ShareTexts::Status, 16).default("live"))
                    .col(timestamp_with_time_zone(ShareTexts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShareTexts::Table, ShareTexts::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShareTexts::Table, ShareTexts::ImageId)
                            .to(Images::Table, Images::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("share_texts_by_petition")
                    .table(ShareTexts::Table)
                    .col(ShareTexts::PetitionId)
                    .to_owned(),
            )
            .await?;
        // No foreign key: a signature keeps the id of the wording that brought it whatever
        // becomes of the wording, and the writer's insert checks nothing more.
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(big_integer_null(Signatures::ShareTextId))
                    .to_owned(),
            )
            .await?;
        // Signatures brought by each wording, for choosing among them: only the rows that have
        // one are in this index, so signing without one costs nothing more.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX signatures_by_share_text ON signatures (petition_id, share_text_id, status) \
                 WHERE share_text_id IS NOT NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.get_connection().execute_unprepared("DROP INDEX signatures_by_share_text").await?;
        manager
            .alter_table(
                Table::alter().table(Signatures::Table).drop_column(Signatures::ShareTextId).to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(ShareTexts::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum ShareTexts {
    Table,
    Id,
    PetitionId,
    Locale,
    Text,
    ImageId,
    ImageAlt,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    ShareTextId,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Images {
    Table,
    Id,
}
