use sea_orm::entity::prelude::*;

/// Staff invalidating one signature or a set chosen by criteria; restorable as a whole.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signature_actions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    /// What was chosen, in words.
    pub criteria: String,
    pub reason: String,
    /// Signatures it invalidated.
    pub changed: i64,
    pub staff_id: Option<i64>,
    pub actor: String,
    pub at: DateTimeUtc,
    pub restored_at: Option<DateTimeUtc>,
    pub restored_by: Option<String>,
    #[sea_orm(has_many)]
    pub changes: HasMany<super::signature_change::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
