//! Staff accounts, their sessions, one-time links to set a password, and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Staff::Table)
                    .col(big_pk_auto(Staff::Id))
                    // Lower-cased.
                    .col(string_len_uniq(Staff::Email, 320))
                    // `admin`, `organizer` or `viewer`.
                    .col(string_len(Staff::Role, 16))
                    // Argon2id, in PHC form; NULL until the account's link is used.
                    .col(string_len_null(Staff::PasswordHash, 255))
                    .col(timestamp_with_time_zone(Staff::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffSessions::Table)
                    // SHA-256 of the cookie's value: the database never holds a usable session.
                    .col(string_len(StaffSessions::Id, 64).primary_key())
                    .col(big_integer(StaffSessions::StaffId))
                    .col(timestamp_with_time_zone(StaffSessions::CreatedAt))
                    .col(timestamp_with_time_zone(StaffSessions::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffSessions::Table, StaffSessions::StaffId)
                            .to(Staff::Table, Staff::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("staff_sessions_by_staff")
                    .table(StaffSessions::Table)
                    .col(StaffSessions::StaffId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StaffLinks::Table)
                    // SHA-256 of the link's token.
                    .col(string_len(StaffLinks::Id, 64).primary_key())
                    // The account whose password it sets; NULL for the first-run setup link.
                    .col(big_integer_null(StaffLinks::StaffId))
                    .col(timestamp_with_time_zone(StaffLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(StaffLinks::UsedAt))
                    .col(timestamp_with_time_zone(StaffLinks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffLinks::Table, StaffLinks::StaffId)
                            .to(Staff::Table, Staff::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    .col(timestamp_with_time_zone(AuditLog::At))
                    // Who: the account (NULL for a failed login or the command line) and the
                    // email it had, kept if the account is removed.
                    .col(big_integer_null(AuditLog::StaffId))
                    .col(string_len(AuditLog::Actor, 320))
                    // What: `login`, `login.failed`, `logout`, `staff.created`, …
                    .col(string_len(AuditLog::Action, 64))
                    // To which record (`petition:12`), if any.
                    .col(string_len_null(AuditLog::Subject, 128))
                    .col(string_len_null(AuditLog::Detail, 1000))
                    // A keyed hash of the client's address, never the address.
                    .col(string_len_null(AuditLog::IpHash, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("audit_log_by_time").table(AuditLog::Table).col(AuditLog::At).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(StaffLinks::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(StaffSessions::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Staff::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
    Email,
    Role,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffSessions {
    Table,
    Id,
    StaffId,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum StaffLinks {
    Table,
    Id,
    StaffId,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    StaffId,
    Actor,
    Action,
    Subject,
    Detail,
    IpHash,
}
