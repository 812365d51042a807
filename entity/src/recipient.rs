use sea_orm::entity::prelude::*;

/// Someone an open letter is addressed to.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recipients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    /// Order on the letter, starting at 0.
    pub position: i32,
    pub name: String,
    pub title: String,
    pub organisation: String,
    /// Where the letter is emailed; never shown in public.
    pub email: Option<String>,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
