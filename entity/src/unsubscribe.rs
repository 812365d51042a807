use sea_orm::entity::prelude::*;

/// An address that asked, from an update email, to hear no more of that kind of update about a
/// petition.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unsubscribes")]
pub struct Model {
    /// The email's kind (`letter.digest`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    /// Lower case.
    #[sea_orm(primary_key, auto_increment = false)]
    pub address: String,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
