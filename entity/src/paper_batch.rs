use sea_orm::entity::prelude::*;

/// Paper or event sign-up sheets entered by staff, one signature per entry.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "paper_batches")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    pub source: String,
    /// `YYYY-MM-DD`.
    pub collected_on: String,
    pub staff_id: Option<i64>,
    pub actor: String,
    pub entered_at: DateTimeUtc,
    pub entries: i32,
    pub added: i32,
    pub duplicates: i32,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
