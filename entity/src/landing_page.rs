use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Only `live` landing pages are public; a `retired` one (its ads have ended) is gone like a
/// draft.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "live")]
    Live,
    #[sea_orm(string_value = "retired")]
    Retired,
}

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
    /// Short copy: paragraphs separated by blank lines.
    pub body: String,
    /// An image elsewhere (used when there is no stored image).
    pub image_url: Option<String>,
    pub created_at: DateTimeUtc,
    pub status: Status,
    /// The sign button's text; unset: the catalogue's.
    pub button_text: Option<String>,
    /// A video, shown as a link: nothing is loaded from its site until the visitor taps it.
    pub video_url: Option<String>,
    /// The attribution `source` of visitors who arrive here without one of their own.
    pub source: Option<String>,
    /// The stored hero image.
    pub image_id: Option<i64>,
    /// What the hero image shows, for screen readers and share previews.
    pub image_alt: Option<String>,
    #[sea_orm(belongs_to, from = "petition_id", to = "id")]
    pub petition: BelongsTo<super::petition::Entity>,
    #[sea_orm(has_many)]
    pub short_codes: HasMany<super::short_code::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
