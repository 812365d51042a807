use sea_orm::entity::prelude::*;

/// An hour in which a petition's signing raised a review notice (one network or one email
/// domain past its threshold), recorded once, when first seen, so that staff are emailed once.
/// Counts only: which networks and domains is for the review page to show.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    /// The hour's start.
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: DateTimeUtc,
    /// Networks and email domains past their thresholds when it was first seen.
    pub networks: i32,
    pub domains: i32,
    pub noticed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
