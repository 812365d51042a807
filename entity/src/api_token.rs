use sea_orm::entity::prelude::*;

/// A token for the JSON API (or a spreadsheet's CSV link), stored as its SHA-256 only.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// `read`, `write` or `csv`.
    pub scope: String,
    #[sea_orm(unique)]
    pub hash: String,
    /// The token's first characters, to tell tokens apart.
    pub hint: String,
    /// The petition a `csv` token reads.
    pub petition_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub created_by: String,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
