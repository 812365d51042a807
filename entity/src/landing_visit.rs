use sea_orm::entity::prelude::*;

/// Visits of one landing page on one day (UTC), through one short code or none (`0`), from one
/// campaign's link or none (``). An aggregate: nothing here identifies a visitor.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "landing_visits")]
pub struct Model {
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub landing_page_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub short_code_id: i64,
    /// The visit's own `utm_campaign`; empty for none.
    #[sea_orm(primary_key, auto_increment = false)]
    pub utm_campaign: String,
    pub visits: i64,
}

impl ActiveModelBehavior for ActiveModel {}
