use sea_orm::entity::prelude::*;

/// An image stored in the database (a landing page's hero), so that every server process can
/// serve it. Addressed by the SHA-256 of its bytes, which never change.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "images")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Hex SHA-256 of `data`.
    #[sea_orm(unique)]
    pub sha256: String,
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub data: Vec<u8>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
