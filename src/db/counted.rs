//! Counts kept in memory (landing page visits, share clicks; see [`crate::visits`]) added to
//! their daily totals.

use entity::{landing_visit, share_click};
use sea_orm::{
    ActiveValue::Set,
    DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use crate::visits::Taken;

/// Adds what was counted to the daily totals, in one transaction.
pub async fn add(db: &DatabaseConnection, taken: &Taken) -> Result<(), DbErr> {
    if taken.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    // One statement per row keeps the SQL the same every time; there are few rows (pages and
    // networks with something counted in the last seconds). Rows go in one order, so two
    // servers adding at once do not deadlock.
    let mut visits: Vec<_> = taken.visits.iter().collect();
    visits.sort_by(|(a, _), (b, _)| {
        (a.day, a.landing_page_id, a.short_code_id, &a.campaign).cmp(&(
            b.day,
            b.landing_page_id,
            b.short_code_id,
            &b.campaign,
        ))
    });
    for (key, n) in visits {
        landing_visit::Entity::insert(landing_visit::ActiveModel {
            day: Set(key.day.format("%Y-%m-%d").to_string()),
            landing_page_id: Set(key.landing_page_id),
            short_code_id: Set(key.short_code_id),
            utm_campaign: Set(key.campaign.clone()),
            visits: Set(*n),
        })
        .on_conflict(
            OnConflict::columns([
                landing_visit::Column::Day,
                landing_visit::Column::LandingPageId,
                landing_visit::Column::ShortCodeId,
                landing_visit::Column::UtmCampaign,
            ])
            .value(landing_visit::Column::Visits, Expr::cust("landing_visits.visits + excluded.visits"))
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let mut shares: Vec<_> = taken.shares.iter().collect();
    shares.sort_by(|(a, _), (b, _)| {
        (a.day, a.petition_id, a.network, a.variant_id).cmp(&(b.day, b.petition_id, b.network, b.variant_id))
    });
    for (key, n) in shares {
        share_click::Entity::insert(share_click::ActiveModel {
            day: Set(key.day.format("%Y-%m-%d").to_string()),
            petition_id: Set(key.petition_id),
            network: Set(key.network.to_owned()),
            variant_id: Set(key.variant_id),
            clicks: Set(*n),
        })
        .on_conflict(
            OnConflict::columns([
                share_click::Column::Day,
                share_click::Column::PetitionId,
                share_click::Column::Network,
                share_click::Column::VariantId,
            ])
            .value(share_click::Column::Clicks, Expr::cust("share_clicks.clicks + excluded.clicks"))
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await
}
