use sea_orm::entity::prelude::*;

/// What a petition's ads cost on one day: per campaign (imported from the ad platform's export)
/// or per landing page (entered by hand).
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ad_spend")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// `meta`, `google` or `manual`.
    pub platform: String,
    /// The campaign as the platform names it; empty for spend entered per landing page.
    pub campaign: String,
    /// 0 unless entered for one landing page.
    pub landing_page_id: i64,
    /// In the currency's smallest unit.
    pub amount_cents: i64,
    pub currency: String,
    pub impressions: Option<i64>,
    pub clicks: Option<i64>,
    pub imported_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
