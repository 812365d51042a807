use sea_orm::entity::prelude::*;

/// Deliveries made by themselves: every `every` signatures past `from_count`, or every week on
/// `weekday` (ISO, 1 = Monday) at `hour` UTC.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_schedules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    pub every: Option<i64>,
    pub from_count: i64,
    pub weekday: Option<i16>,
    pub hour: i16,
    pub fields: String,
    pub send: bool,
    pub staff_id: Option<i64>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
