use sea_orm::entity::prelude::*;

/// One email in the outbox: written in the transaction that decides to send it, then sent by
/// a worker when SMTP is configured (and kept, for staff to read, when it is not).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// What it is for (`goal.reached`, …); logs name this and the id, never the address.
    pub kind: String,
    pub petition_id: Option<i64>,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
    pub created_at: DateTimeUtc,
    /// Not sent before then.
    pub due_at: DateTimeUtc,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i32,
    /// Held by a worker until then (Unix milliseconds); 0 = free.
    pub locked_until_ms: i64,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// The delivery a letter to a recipient carries (its packet is attached).
    pub delivery_id: Option<i64>,
    /// An update email's own token for one-click unsubscribing (`/unsubscribe/{token}`).
    #[sea_orm(unique)]
    pub unsubscribe_token: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
