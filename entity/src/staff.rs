use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a staff account may do.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Counts and reports, no personal data.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// Campaigns, exports and signatures.
    #[sea_orm(string_value = "organizer")]
    Organizer,
    /// Everything, staff accounts and tokens included.
    #[sea_orm(string_value = "admin")]
    Admin,
}

/// A staff account.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased.
    #[sea_orm(unique)]
    pub email: String,
    pub role: Role,
    /// Argon2id in PHC form; `None` until the account's one-time link is used.
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
