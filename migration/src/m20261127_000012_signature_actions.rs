//! Staff invalidating signatures, reversibly: each invalidation (of one signature or of a set
//! chosen by criteria) is an action that remembers every signature it changed and the status
//! each had, so that the action, or one signature of it, can be restored exactly.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignatureActions::Table)
                    .col(big_pk_auto(SignatureActions::Id))
                    .col(big_integer(SignatureActions::PetitionId))
                    // What was chosen, in words (`signed 2026-11-01 to 2026-11-02, source fb`).
                    .col(string_len(SignatureActions::Criteria, 1000))
                    .col(string_len(SignatureActions::Reason, 500))
                    // Signatures it invalidated.
                    .col(big_integer(SignatureActions::Changed))
                    .col(big_integer_null(SignatureActions::StaffId))
                    .col(string_len(SignatureActions::Actor, 320))
                    .col(timestamp_with_time_zone(SignatureActions::At))
                    .col(timestamp_with_time_zone_null(SignatureActions::RestoredAt))
                    .col(string_len_null(SignatureActions::RestoredBy, 320))
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignatureActions::Table, SignatureActions::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("signature_actions_by_petition")
                    .table(SignatureActions::Table)
                    .col(SignatureActions::PetitionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignatureChanges::Table)
                    .col(big_integer(SignatureChanges::ActionId))
                    .col(big_integer(SignatureChanges::SignatureId))
                    // The status the signature had before.
                    .col(string_len(SignatureChanges::FromStatus, 16))
                    .primary_key(
                        Index::create().col(SignatureChanges::ActionId).col(SignatureChanges::SignatureId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignatureChanges::Table, SignatureChanges::ActionId)
                            .to(SignatureActions::Table, SignatureActions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SignatureChanges::Table, SignatureChanges::SignatureId)
                            .to(Signatures::Table, Signatures::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A signature's changes, newest last, for restoring one signature.
        manager
            .create_index(
                Index::create()
                    .name("signature_changes_by_signature")
                    .table(SignatureChanges::Table)
                    .col(SignatureChanges::SignatureId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SignatureChanges::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SignatureActions::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum SignatureActions {
    Table,
    Id,
    PetitionId,
    Criteria,
    Reason,
    Changed,
    StaffId,
    Actor,
    At,
    RestoredAt,
    RestoredBy,
}

#[derive(DeriveIden)]
enum SignatureChanges {
    Table,
    ActionId,
    SignatureId,
    FromStatus,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Signatures {
    Table,
    Id,
}
