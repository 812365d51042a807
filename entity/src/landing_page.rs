use sea_orm::entity::prelude::*;

/// An ad landing page (`/a/{slug}`): its own headline, image, copy and language, bound to one
/// petition.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "landing_pages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub petition_id: i64,
    pub locale: String,
    pub headline: String,
    pub body: String,
    pub image_url: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
