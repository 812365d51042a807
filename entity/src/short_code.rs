use sea_orm::entity::prelude::*;

/// A short link (`/q/{code}`) printed as a QR code on a poster or flyer; it leads to one landing
/// page and credits what it brings to itself.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "short_codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-case letters, digits and hyphens.
    #[sea_orm(unique)]
    pub code: String,
    pub landing_page_id: i64,
    /// The attribution `source` of scans; unset: `qr-{code}`.
    pub source: Option<String>,
    /// Where the poster hangs, for organizers ("Central Station, platform 2").
    pub label: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "landing_page_id", to = "id")]
    pub landing_page: BelongsTo<super::landing_page::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
