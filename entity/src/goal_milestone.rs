use sea_orm::entity::prelude::*;

/// A share of its goal (25, 50, 75 or 100%) a petition has passed: recorded once, when first
/// seen, with the goal and count of that moment.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "goal_milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub percent: i32,
    pub goal: i64,
    pub count: i64,
    pub reached_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
