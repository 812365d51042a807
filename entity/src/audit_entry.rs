use sea_orm::entity::prelude::*;

/// One line of the audit log: who did what, when, to which record, from where (a keyed hash of
/// the address). Rows are only ever added.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub staff_id: Option<i64>,
    /// The account's email at the time, or `command line`, or the email a failed login tried.
    pub actor: String,
    pub action: String,
    pub subject: Option<String>,
    pub detail: Option<String>,
    pub ip_hash: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
