use sea_orm::entity::prelude::*;

/// One event for one endpoint: the outbox row a worker sends, retries and finally marks
/// delivered or dead.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// Random hex (128 bits on SQLite, a UUID's 122 on PostgreSQL; 128 for `share.clicked`), the
    /// same on every attempt.
    pub idempotency_key: String,
    /// The JSON body; `None` for a signature's, made when sent.
    #[sea_orm(column_type = "Text", nullable)]
    pub payload: Option<String>,
    /// The signature a `signature.created` delivery reports.
    pub signature_id: Option<i64>,
    /// The petition's count once that signature was stored.
    pub total: Option<i64>,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i32,
    /// Unix milliseconds.
    pub next_attempt_ms: i64,
    /// Unix milliseconds.
    pub locked_until_ms: Option<i64>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    #[sea_orm(belongs_to, from = "webhook_id", to = "id")]
    pub webhook: BelongsTo<super::webhook::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
