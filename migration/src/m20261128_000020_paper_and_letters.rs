//! Paper signatures entered one by one (in batches, each with its source, date and who entered
//! it); recipients' email addresses and the letters sent to them (an email knows its delivery);
//! deliveries made on a schedule (each threshold or week once, however many processes run);
//! and the daily update to a letter's recipients (each day once).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaperBatches::Table)
                    .col(big_pk_auto(PaperBatches::Id))
                    .col(big_integer(PaperBatches::PetitionId))
                    // Where the sheets come from ("Cafeteria table, St Mary's").
                    .col(string_len(PaperBatches::Source, 200))
                    // The day they were collected, `YYYY-MM-DD`.
                    .col(string_len(PaperBatches::CollectedOn, 10))
                    .col(big_integer_null(PaperBatches::StaffId))
                    .col(string_len(PaperBatches::Actor, 320))
                    .col(timestamp_with_time_zone(PaperBatches::EnteredAt))
                    // Entries typed, signatures added, and entries that were already signers.
                    .col(integer(PaperBatches::Entries))
                    .col(integer(PaperBatches::Added))
                    .col(integer(PaperBatches::Duplicates))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PaperBatches::Table, PaperBatches::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_paper_batches_petition")
                    .table(PaperBatches::Table)
                    .col(PaperBatches::PetitionId)
                    .col(PaperBatches::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Signatures::Table)
                    .add_column(big_integer_null(Signatures::PaperBatchId))
                    .to_owned(),
            )
            .await?;
        // Partial: online signatures (nearly all) leave it alone, so signing pays nothing for it.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_signatures_paper_batch ON signatures (paper_batch_id) \
                 WHERE paper_batch_id IS NOT NULL",
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Recipients::Table)
                    .add_column(string_len_null(Recipients::Email, 254))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Emails::Table)
                    .add_column(big_integer_null(Emails::DeliveryId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_emails_delivery")
                    .table(Emails::Table)
                    .col(Emails::DeliveryId)
                    .col(Emails::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Petitions::Table)
                    .add_column(boolean(Petitions::RecipientDigest).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeliverySchedules::Table)
                    .col(big_pk_auto(DeliverySchedules::Id))
                    .col(big_integer(DeliverySchedules::PetitionId))
                    // Every this many signatures (counted from `from_count`) …
                    .col(big_integer_null(DeliverySchedules::Every))
                    .col(big_integer(DeliverySchedules::FromCount).default(0))
                    // … or every week on this ISO weekday (1 = Monday) at this hour, UTC.
                    .col(small_integer_null(DeliverySchedules::Weekday))
                    .col(small_integer(DeliverySchedules::Hour).default(0))
                    .col(string_len(DeliverySchedules::Fields, 200))
                    // Email the letter to the recipients who have an address.
                    .col(boolean(DeliverySchedules::Send).default(false))
                    .col(big_integer_null(DeliverySchedules::StaffId))
                    .col(string_len(DeliverySchedules::CreatedBy, 320))
                    .col(timestamp_with_time_zone(DeliverySchedules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DeliverySchedules::Table, DeliverySchedules::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScheduledDeliveries::Table)
                    .col(big_integer(ScheduledDeliveries::ScheduleId))
                    // `n3000` (a threshold) or `w2026-W48` (a week): each made once.
                    .col(string_len(ScheduledDeliveries::Mark, 32))
                    .col(big_integer_null(ScheduledDeliveries::DeliveryId))
                    .col(timestamp_with_time_zone(ScheduledDeliveries::CreatedAt))
                    .primary_key(
                        Index::create().col(ScheduledDeliveries::ScheduleId).col(ScheduledDeliveries::Mark),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ScheduledDeliveries::Table, ScheduledDeliveries::ScheduleId)
                            .to(DeliverySchedules::Table, DeliverySchedules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RecipientDigests::Table)
                    .col(big_integer(RecipientDigests::PetitionId))
                    // `YYYY-MM-DD`, UTC: one update a day.
                    .col(string_len(RecipientDigests::Day, 10))
                    .col(big_integer(RecipientDigests::Signed))
                    .col(timestamp_with_time_zone(RecipientDigests::CreatedAt))
                    .primary_key(Index::create().col(RecipientDigests::PetitionId).col(RecipientDigests::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RecipientDigests::Table, RecipientDigests::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RecipientDigests::Table.into_iden(),
            ScheduledDeliveries::Table.into_iden(),
            DeliverySchedules::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .alter_table(
                Table::alter().table(Petitions::Table).drop_column(Petitions::RecipientDigest).to_owned(),
            )
            .await?;
        manager.drop_index(Index::drop().name("idx_emails_delivery").table(Emails::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Emails::Table).drop_column(Emails::DeliveryId).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Recipients::Table).drop_column(Recipients::Email).to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("idx_signatures_paper_batch").table(Signatures::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(Signatures::Table).drop_column(Signatures::PaperBatchId).to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table(PaperBatches::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum PaperBatches {
    Table,
    Id,
    PetitionId,
    Source,
    CollectedOn,
    StaffId,
    Actor,
    EnteredAt,
    Entries,
    Added,
    Duplicates,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    PaperBatchId,
}

#[derive(DeriveIden)]
enum Recipients {
    Table,
    Email,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    DeliveryId,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
    RecipientDigest,
}

#[derive(DeriveIden)]
enum DeliverySchedules {
    Table,
    Id,
    PetitionId,
    Every,
    FromCount,
    Weekday,
    Hour,
    Fields,
    Send,
    StaffId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ScheduledDeliveries {
    Table,
    ScheduleId,
    Mark,
    DeliveryId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecipientDigests {
    Table,
    PetitionId,
    Day,
    Signed,
    CreatedAt,
}
