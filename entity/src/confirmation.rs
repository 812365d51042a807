use sea_orm::entity::prelude::*;

/// A signature waiting for its signer to confirm their email address: the hashes of the links
/// sent (the first email's, and the reminder's once sent), never the links.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "confirmations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub signature_id: i64,
    pub petition_id: i64,
    /// SHA-256 of the first email's token, hex.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// SHA-256 of the reminder's token, hex.
    #[sea_orm(unique)]
    pub reminder_hash: Option<String>,
    /// The language of the page signed on.
    pub locale: String,
    pub created_at: DateTimeUtc,
    /// Neither link confirms after this.
    pub expires_at: DateTimeUtc,
    pub reminded_at: Option<DateTimeUtc>,
    pub confirmed_at: Option<DateTimeUtc>,
    #[sea_orm(belongs_to, from = "signature_id", to = "id")]
    pub signature: BelongsTo<super::signature::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
