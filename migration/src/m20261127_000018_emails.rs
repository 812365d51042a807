//! Email: the outbox every email is written to (in the transaction that decides to send it) and
//! that a worker sends from when `SMTP_URL` is set, staff's requests to hear of a petition's
//! progress, and the goal milestones each petition has passed (each recorded once, so its email
//! goes out once however many server processes run).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Emails::Table)
                    .col(big_pk_auto(Emails::Id))
                    // What it is for: `goal.reached`, … (never who it is to).
                    .col(string_len(Emails::Kind, 32))
                    .col(big_integer_null(Emails::PetitionId))
                    .col(string_len(Emails::ToAddress, 320))
                    .col(string_len(Emails::Subject, 300))
                    .col(text(Emails::TextBody))
                    .col(text_null(Emails::HtmlBody))
                    .col(timestamp_with_time_zone(Emails::CreatedAt))
                    // Not sent before then (a retry's delay, a reminder's day).
                    .col(timestamp_with_time_zone(Emails::DueAt))
                    // `queued`, `sent` or `failed`.
                    .col(string_len(Emails::Status, 16))
                    .col(integer(Emails::Attempts).default(0))
                    // Held by a worker until then (Unix milliseconds); 0 = free.
                    .col(big_integer(Emails::LockedUntilMs).default(0))
                    .col(timestamp_with_time_zone_null(Emails::SentAt))
                    .col(string_len_null(Emails::LastError, 500))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Emails::Table, Emails::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_emails_due")
                    .table(Emails::Table)
                    .col(Emails::Status)
                    .col(Emails::DueAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GoalAlerts::Table)
                    .col(big_integer(GoalAlerts::PetitionId))
                    .col(big_integer(GoalAlerts::StaffId))
                    .col(timestamp_with_time_zone(GoalAlerts::CreatedAt))
                    .primary_key(Index::create().col(GoalAlerts::PetitionId).col(GoalAlerts::StaffId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoalAlerts::Table, GoalAlerts::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoalAlerts::Table, GoalAlerts::StaffId)
                            .to(Staff::Table, Staff::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(GoalMilestones::Table)
                    .col(big_integer(GoalMilestones::PetitionId))
                    // 25, 50, 75 or 100.
                    .col(integer(GoalMilestones::Percent))
                    .col(big_integer(GoalMilestones::Goal))
                    .col(big_integer(GoalMilestones::Count))
                    .col(timestamp_with_time_zone(GoalMilestones::ReachedAt))
                    .primary_key(Index::create().col(GoalMilestones::PetitionId).col(GoalMilestones::Percent))
                    .foreign_key(
                        ForeignKey::create()
                            .from(GoalMilestones::Table, GoalMilestones::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(GoalMilestones::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(GoalAlerts::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Emails::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    Kind,
    PetitionId,
    ToAddress,
    Subject,
    TextBody,
    HtmlBody,
    CreatedAt,
    DueAt,
    Status,
    Attempts,
    LockedUntilMs,
    SentAt,
    LastError,
}

#[derive(DeriveIden)]
enum GoalAlerts {
    Table,
    PetitionId,
    StaffId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum GoalMilestones {
    Table,
    PetitionId,
    Percent,
    Goal,
    Count,
    ReachedAt,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}
