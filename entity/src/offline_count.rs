use sea_orm::entity::prelude::*;

/// A batch of paper or offline signatures staff entered, with a note; a correction is a
/// negative batch. A petition's offline count is the sum of its batches.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "offline_counts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    pub count: i64,
    pub note: String,
    pub staff_id: Option<i64>,
    /// The staff member's email as it was.
    pub actor: String,
    pub entered_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
