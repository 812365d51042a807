use sea_orm::entity::prelude::*;

/// A letter or petition delivered to its recipients, frozen as it was at its cut-off.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// 128 random bits in hex: the public record is `/d/{public_id}`.
    #[sea_orm(unique)]
    pub public_id: String,
    pub petition_id: i64,
    pub cutoff: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    /// The optional columns of the signer list, comma-separated.
    pub fields: String,
    pub title: String,
    pub body: String,
    pub locale: String,
    /// JSON: `[{"name", "title", "organisation"}]`.
    pub recipients: String,
    /// Validated signatures signed by the cut-off: the rows of the signer list.
    pub signers: i64,
    /// How many of them agreed to be named.
    pub named: i64,
    /// Offline signatures staff counted by the cut-off (counted, not listed).
    pub offline: i64,
    /// JSON: `{"regions": [[key, n]…], "worksites": […], "days": […]}`.
    pub breakdown: String,
    /// The signer list (CSV), exactly the bytes the digest is over.
    pub signers_csv: String,
    /// SHA-256 of `signers_csv`, hex.
    pub digest: String,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
