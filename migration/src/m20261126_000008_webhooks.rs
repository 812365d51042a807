//! Webhooks: the endpoints staff configure, and the outbox of deliveries to them. A delivery
//! row is written in the same transaction as the fact it reports, and a worker sends it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(big_pk_auto(Webhooks::Id))
                    .col(string_len(Webhooks::Url, 2048))
                    // Signs every delivery (HMAC-SHA256); shown once when the endpoint is made.
                    .col(string_len(Webhooks::Secret, 128))
                    // Comma-separated event names (`signature.created,share.clicked`).
                    .col(string_len(Webhooks::Events, 255))
                    // `counts` or `contacts` (with the signer's contact fields).
                    .col(string_len(Webhooks::Scope, 16))
                    // Only this petition's events; NULL for every petition.
                    .col(big_integer_null(Webhooks::PetitionId))
                    // Paused: events are still written, and wait to be sent until it is resumed.
                    .col(boolean(Webhooks::Paused).default(false))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Webhooks::Table, Webhooks::PetitionId)
                            .to(Petitions::Table, Petitions::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_pk_auto(WebhookDeliveries::Id))
                    .col(big_integer(WebhookDeliveries::WebhookId))
                    .col(string_len(WebhookDeliveries::Event, 32))
                    // Sent as `Idempotency-Key` and as the body's `id`: the same on every attempt.
                    // Random (122 or 128 bits), so unique without an index (a random key's index would
                    // cost the signature writer a page per delivery).
                    .col(string_len(WebhookDeliveries::IdempotencyKey, 64))
                    // The JSON body, made when the fact was stored; or, for a signature, NULL and
                    // made when sent from the signature and the count it brought the petition to
                    // (the writer stores no more than it must).
                    .col(text_null(WebhookDeliveries::Payload))
                    .col(big_integer_null(WebhookDeliveries::SignatureId))
                    .col(big_integer_null(WebhookDeliveries::Total))
                    // `pending`, `delivered` or `dead` (gave up after the last attempt).
                    .col(string_len(WebhookDeliveries::Status, 16).default("pending"))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    // When it may next be sent, in Unix milliseconds.
                    .col(big_integer(WebhookDeliveries::NextAttemptMs))
                    // A worker sending it holds it until then (Unix milliseconds).
                    .col(big_integer_null(WebhookDeliveries::LockedUntilMs))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .col(string_len_null(WebhookDeliveries::LastError, 500))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // What a worker asks for: one endpoint's pending rows that are due, oldest first (the
        // rows waiting for a paused endpoint are in another range).
        manager
            .create_index(
                Index::create()
                    .name("webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptMs)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Webhooks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Secret,
    Events,
    Scope,
    PetitionId,
    Paused,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    Event,
    IdempotencyKey,
    Payload,
    SignatureId,
    Total,
    Status,
    Attempts,
    NextAttemptMs,
    LockedUntilMs,
    LastStatus,
    LastError,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Petitions {
    Table,
    Id,
}
