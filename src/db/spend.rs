//! Storing ad spend: a platform's export matched to petitions by campaign, or spend entered for
//! one landing page and day. An import is all or nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::ad_spend;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Statement, TransactionTrait,
    sea_query::OnConflict,
};

use crate::domain::spend::{Refused, SpendFile};

/// What an import did (or would have done).
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Rows stored; 0 when anything was refused and the import was not forced.
    pub stored: usize,
    /// Spend stored, per currency, in cents.
    pub totals: BTreeMap<String, i64>,
    /// Rows not taken, by line.
    pub refused: Vec<Refused>,
}

/// Stores `file`'s rows. Each row's campaign must have brought signatures to exactly one
/// petition (its `utm_campaign`, in any letter case) unless `petition` names the petition every
/// row belongs to. With any row refused, nothing is stored unless `skip_refused`. Rows for a
/// day and campaign already stored replace them, so importing an overlapping export again
/// counts nothing twice.
pub async fn import(
    db: &DatabaseConnection,
    file: &SpendFile,
    petition: Option<i64>,
    skip_refused: bool,
    now: DateTime<Utc>,
) -> Result<ImportReport, DbErr> {
    let mut report = ImportReport { refused: file.refused.clone(), ..ImportReport::default() };
    let owners = match petition {
        Some(_) => HashMap::new(),
        None => campaign_petitions(db, file.rows.iter().map(|r| r.campaign.as_str())).await?,
    };
    let mut take = Vec::with_capacity(file.rows.len());
    for row in &file.rows {
        let owner = match petition {
            Some(id) => Ok(id),
            None => match owners.get(&row.campaign.to_lowercase()).map(Vec::as_slice) {
                Some([id]) => Ok(*id),
                Some(_) => Err(format!(
                    "campaign {:?} brought signatures to several petitions; import it with --petition SLUG",
                    row.campaign
                )),
                None => Err(format!(
                    "no signature came from campaign {:?} (utm_campaign); check the ad's link, or import \
                     it with --petition SLUG",
                    row.campaign
                )),
            },
        };
        match owner {
            Ok(id) => take.push((id, row)),
            Err(reason) => report.refused.push(Refused { line: row.line, reason }),
        }
    }
    report.refused.sort_by_key(|r| r.line);
    if !report.refused.is_empty() && !skip_refused {
        return Ok(report);
    }
    let txn = db.begin().await?;
    for (petition_id, row) in &take {
        upsert(
            &txn,
            *petition_id,
            row.day,
            file.platform.name(),
            &row.campaign,
            0,
            (row.amount_cents, &row.currency),
            (row.impressions, row.clicks),
            now,
        )
        .await?;
        *report.totals.entry(row.currency.clone()).or_default() += row.amount_cents;
    }
    txn.commit().await?;
    report.stored = take.len();
    Ok(report)
}

/// Spend entered by hand for one landing page and day (replacing what was entered before).
pub async fn set_for_landing_page(
    db: &impl ConnectionTrait,
    petition_id: i64,
    landing_page_id: i64,
    day: NaiveDate,
    (amount_cents, currency): (i64, &str),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    upsert(db, petition_id, day, "manual", "", landing_page_id, (amount_cents, currency), (None, None), now)
        .await
}

#[expect(clippy::too_many_arguments, reason = "one row's columns, named where they are given")]
async fn upsert(
    db: &impl ConnectionTrait,
    petition_id: i64,
    day: NaiveDate,
    platform: &str,
    campaign: &str,
    landing_page_id: i64,
    (amount_cents, currency): (i64, &str),
    (impressions, clicks): (Option<i64>, Option<i64>),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    ad_spend::Entity::insert(ad_spend::ActiveModel {
        petition_id: Set(petition_id),
        day: Set(day.format("%Y-%m-%d").to_string()),
        platform: Set(platform.to_owned()),
        campaign: Set(campaign.to_owned()),
        landing_page_id: Set(landing_page_id),
        amount_cents: Set(amount_cents),
        currency: Set(currency.to_owned()),
        impressions: Set(impressions),
        clicks: Set(clicks),
        imported_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            ad_spend::Column::PetitionId,
            ad_spend::Column::Day,
            ad_spend::Column::Platform,
            ad_spend::Column::Campaign,
            ad_spend::Column::LandingPageId,
        ])
        .update_columns([
            ad_spend::Column::AmountCents,
            ad_spend::Column::Currency,
            ad_spend::Column::Impressions,
            ad_spend::Column::Clicks,
            ad_spend::Column::ImportedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// For each campaign (lower-cased), the petitions whose signatures carry it as `utm_campaign`.
async fn campaign_petitions<'a>(
    db: &DatabaseConnection,
    campaigns: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, Vec<i64>>, DbErr> {
    let mut wanted: Vec<String> = campaigns.map(str::to_lowercase).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let backend = db.get_database_backend();
    let mut owners: HashMap<String, Vec<i64>> = HashMap::new();
    for part in wanted.chunks(200) {
        let marks: Vec<String> = (1..=part.len())
            .map(|i| if backend == sea_orm::DatabaseBackend::Postgres { format!("${i}") } else { "?".into() })
            .collect();
        let sql = format!(
            "SELECT DISTINCT lower(utm_campaign) AS campaign, petition_id FROM signatures \
             WHERE lower(utm_campaign) IN ({}) ORDER BY petition_id",
            marks.join(", ")
        );
        let values = part.iter().map(|c| c.clone().into());
        for row in db.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await? {
            let campaign: String = row.try_get("", "campaign")?;
            owners.entry(campaign).or_default().push(row.try_get("", "petition_id")?);
        }
    }
    Ok(owners)
}
