use sea_orm::entity::prelude::*;

/// Validated signatures of one petition in one hour (UTC) with one attribution, and whether
/// they made new supporters: an aggregate kept by every write that changes what counts. Empty
/// strings (and share text 0) stand for none.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signature_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    /// `YYYY-MM-DDTHH`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub landing_page: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub utm_campaign: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub referrer: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub share_text_id: i64,
    /// The signature was its supporter's first ever.
    #[sea_orm(primary_key, auto_increment = false)]
    pub new_supporter: bool,
    pub signatures: i64,
}

impl ActiveModelBehavior for ActiveModel {}
