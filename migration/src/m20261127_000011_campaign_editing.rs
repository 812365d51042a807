//! Campaigns edited in the browser: a version number that refuses a save made over someone
//! else's (optimistic lock), who saved last, which fields the signing form asks for, two more
//! fields a signer can be asked (job title, worksite), and paper or offline counts entered in
//! batches with a note.

use sea_orm_migration::{prelude::*, schema::*};

/// What the signing form asked before this migration: name and email always, a postal code,
/// and an optional phone, employer and comment.
const CLASSIC_FIELDS: &str = "postal_code:required phone:optional employer:optional comment:optional";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            big_integer(Petitions::Version).default(0).to_owned(),
            string_len(Petitions::FormFields, 200).default(CLASSIC_FIELDS).to_owned(),
            string_len_null(Petitions::UpdatedBy, 320),
        ] {
            manager.alter_table(Table::alter().table(Petitions::Table).add_column(column).to_owned()).await?;
        }
        for column in [string_len_null(Signatures::JobTitle, 200), string_len_null(Signatures::Worksite, 200)]
        {
            manager
                .alter_table(Table::alter().table(Signatures::Table).add_column(column).to_owned())
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OfflineCounts::Table)
                    .col(big_pk_auto(OfflineCounts::Id))
                    .col(big_integer(OfflineCounts::PetitionId))
                    // Signatures on paper (or taken offline) in this batch; a correction is negative.
                    .col(big_integer(OfflineCounts::Count))
                    .col(string_len(OfflineCounts::Note, 500))
                    .col(big_integer_null(OfflineCounts::StaffId))
                    .col(string_len(OfflineCounts::Actor, 320))
                    .col(timestamp_with_time_zone(OfflineCounts::EnteredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OfflineCounts::Table, OfflineCounts::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("offline_counts_by_petition")
                    .table(OfflineCounts::Table)
                    .col(OfflineCounts::PetitionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OfflineCounts::Table).to_owned()).await?;
        for column in [Signatures::Worksite, Signatures::JobTitle] {
            manager
                .alter_table(Table::alter().table(Signatures::Table).drop_column(column).to_owned())
                .await?;
        }
        for column in [Petitions::UpdatedBy, Petitions::FormFields, Petitions::Version] {
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
    Id,
    Version,
    FormFields,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    JobTitle,
    Worksite,
}

#[derive(DeriveIden)]
enum OfflineCounts {
    Table,
    Id,
    PetitionId,
    Count,
    Note,
    StaffId,
    Actor,
    EnteredAt,
}
