use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A `live` share text is offered on its petition's share buttons; a `retired` one is not, and
/// keeps its figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[sea_orm(string_value = "live")]
    Live,
    #[sea_orm(string_value = "retired")]
    Retired,
}

/// One wording (and optionally a preview image) for a petition's share buttons, in one
/// language. Each share click uses one of the live ones.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "share_texts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    /// BCP 47 (`en`, `es`).
    pub locale: String,
    /// The message suggested to the sharer, before the link.
    pub text: String,
    /// The preview image of links shared with this text.
    pub image_id: Option<i64>,
    /// What the preview image shows.
    pub image_alt: Option<String>,
    pub status: Status,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
