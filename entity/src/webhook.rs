use sea_orm::entity::prelude::*;

/// An endpoint that receives events.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub url: String,
    /// Signs every delivery; never shown again after the endpoint is made.
    pub secret: String,
    /// Comma-separated event names.
    pub events: String,
    /// `counts` or `contacts`.
    pub scope: String,
    /// Only this petition's events; `None` for every petition.
    pub petition_id: Option<i64>,
    /// Events are still written for it; none is sent until it is resumed.
    pub paused: bool,
    pub created_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub deliveries: HasMany<super::webhook_delivery::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
