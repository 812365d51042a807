use sea_orm::entity::prelude::*;

/// A threshold or week a schedule has delivered: made once, however many processes watch.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduled_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub schedule_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mark: String,
    pub delivery_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
