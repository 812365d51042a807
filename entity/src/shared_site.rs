use sea_orm::entity::prelude::*;

/// A network where many people sign from one address (a hospital's or union hall's), marked by
/// staff for one petition: signatures from it have no per-network limit there.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shared_sites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    /// An address or CIDR range, as parsed (`203.0.113.0/24`).
    pub network: String,
    /// What it is, for staff ("St Mary's staff Wi-Fi").
    pub label: String,
    pub added_by: String,
    pub added_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
