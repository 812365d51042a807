use sea_orm::entity::prelude::*;

/// Validated signatures of one petition from one postal-code region (empty: no postal code).
/// An aggregate kept by every write that changes what counts.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signature_regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub region: String,
    pub signatures: i64,
}

impl ActiveModelBehavior for ActiveModel {}
