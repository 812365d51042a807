use sea_orm::entity::prelude::*;

/// A person, identified by their canonical email.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "supporters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email_canonical: String,
    /// The address as first typed (for sending mail).
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub postal_code: String,
    pub phone: Option<String>,
    pub created_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub signatures: HasMany<super::signature::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
