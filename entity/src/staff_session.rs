use sea_orm::entity::prelude::*;

/// A signed-in staff member's session. The id is the SHA-256 of the cookie's value.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub staff_id: i64,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
