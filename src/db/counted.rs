//! Counts kept in memory (landing page visits, share clicks; see [`crate::visits`]) added to
//! their daily totals.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use entity::{landing_visit, petition, share_click};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use super::webhooks::{self, Outgoing};
use crate::{
    domain::webhook::{self, Event, PetitionRef},
    visits::Taken,
};

/// Adds what was counted to the daily totals, in one transaction with the `share.clicked`
/// deliveries that report the clicks (`public_url` makes their petition links). Returns whether
/// it wrote deliveries.
pub async fn add(db: &DatabaseConnection, taken: &Taken, public_url: &str) -> Result<bool, DbErr> {
    if taken.is_empty() {
        return Ok(false);
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
    let enqueued = announce(&txn, taken, public_url).await?;
    txn.commit().await?;
    Ok(enqueued)
}

/// One `share.clicked` delivery per petition and network with clicks, to every endpoint that
/// wants them.
async fn announce(txn: &DatabaseTransaction, taken: &Taken, public_url: &str) -> Result<bool, DbErr> {
    if taken.shares.is_empty() {
        return Ok(false);
    }
    let hooks = webhooks::subscribed(txn, Event::ShareClicked).await?;
    if hooks.is_empty() {
        return Ok(false);
    }
    let mut clicks: BTreeMap<(i64, &str), i64> = BTreeMap::new();
    for (key, n) in &taken.shares {
        *clicks.entry((key.petition_id, key.network)).or_default() += n;
    }
    let ids: Vec<i64> = clicks.keys().map(|(p, _)| *p).collect();
    let petitions: HashMap<i64, (String, String)> = petition::Entity::find()
        .select_only()
        .columns([petition::Column::Id, petition::Column::Slug, petition::Column::Title])
        .filter(petition::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, String)>()
        .all(txn)
        .await?
        .into_iter()
        .map(|(id, slug, title)| (id, (slug, title)))
        .collect();
    let now = Utc::now();
    let mut outgoing = Vec::new();
    for ((petition_id, network), n) in clicks {
        let Some((slug, title)) = petitions.get(&petition_id) else { continue };
        let url = format!("{}/p/{slug}", public_url.trim_end_matches('/'));
        let petition = PetitionRef { slug, title, url: &url };
        for hook in hooks.iter().filter(|h| h.covers(petition_id)) {
            outgoing.push(Outgoing::new(hook.id, Event::ShareClicked, |key| {
                webhook::share_clicked(key, now, petition, network, n)
            }));
        }
    }
    let any = !outgoing.is_empty();
    webhooks::enqueue(txn, outgoing, now).await?;
    Ok(any)
}
