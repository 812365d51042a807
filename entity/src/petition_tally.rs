use sea_orm::entity::prelude::*;

/// Validated-signature count per petition, bumped once per committed batch of signatures
/// (never once per signature), inside the same transaction as the rows it counts.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    pub validated: i64,
    /// Bumped on every change; the newest version of a tally wins in caches.
    pub version: i64,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
