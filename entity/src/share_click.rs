use sea_orm::entity::prelude::*;

/// Share-button clicks for one petition on one day (UTC), to one network, with one share
/// wording (`0`: the petition's own). An aggregate: nothing here identifies who clicked.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "share_clicks")]
pub struct Model {
    /// `YYYY-MM-DD`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub network: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: i64,
    pub clicks: i64,
}

impl ActiveModelBehavior for ActiveModel {}
