use sea_orm::entity::prelude::*;

/// One signature an action invalidated, and the status it had before.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signature_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub signature_id: i64,
    pub from_status: super::signature::Status,
    #[sea_orm(belongs_to, from = "action_id", to = "id")]
    pub action: BelongsTo<super::signature_action::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
