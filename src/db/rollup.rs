//! Counted signatures as aggregates: per petition, hour and attribution (`signature_counts`)
//! and per postal-code region (`signature_regions`). Every write that changes what counts
//! changes them in its own transaction (the writer's batches, invalidation and restoring), so
//! the dashboard reads a few hundred rows however many signatures there are, and always agrees
//! with the tally and a recount.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{setting, signature_count, signature_region};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Statement,
    TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use super::signatures::in_parts;
use crate::domain::{Attribution, fields::postal_region};

/// What a counted signature adds to the aggregates.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub petition_id: i64,
    /// `YYYY-MM-DDTHH`, UTC.
    pub hour: String,
    pub landing_page: String,
    pub source: String,
    pub utm_campaign: String,
    pub referrer: String,
    pub share_text_id: i64,
    pub new_supporter: bool,
}

impl Key {
    /// The key of a signature made in `hour` with attribution `a`.
    pub fn of(petition_id: i64, hour: &str, a: &Attribution, new_supporter: bool) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Self {
            petition_id,
            hour: hour.to_owned(),
            landing_page: text(&a.landing_page),
            source: text(&a.source),
            utm_campaign: text(&a.utm_campaign),
            referrer: text(&a.referrer),
            share_text_id: a.share_text_id().unwrap_or_default(),
            new_supporter,
        }
    }
}

/// The hour of `at` as the aggregates keep it.
pub fn hour_of(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// Changes to the aggregates, made up in memory and written at once, in key order (so two
/// transactions never take their rows in opposite orders).
#[derive(Debug, Default)]
pub struct Changes {
    counts: BTreeMap<Key, i64>,
    regions: BTreeMap<(i64, String), i64>,
}

impl Changes {
    /// Counts (`delta` = 1) or uncounts (-1) one signature.
    pub fn add(&mut self, key: Key, region: &str, delta: i64) {
        *self.regions.entry((key.petition_id, region.to_owned())).or_default() += delta;
        *self.counts.entry(key).or_default() += delta;
    }

    pub fn is_empty(&self) -> bool {
        self.counts.values().all(|n| *n == 0) && self.regions.values().all(|n| *n == 0)
    }

    /// Adds the changes to the tables, with one statement per part of up to 64 rows.
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let counts: Vec<signature_count::ActiveModel> = self
            .counts
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|(k, n)| signature_count::ActiveModel {
                petition_id: Set(k.petition_id),
                hour: Set(k.hour),
                landing_page: Set(k.landing_page),
                source: Set(k.source),
                utm_campaign: Set(k.utm_campaign),
                referrer: Set(k.referrer),
                share_text_id: Set(k.share_text_id),
                new_supporter: Set(k.new_supporter),
                signatures: Set(n),
            })
            .collect();
        for part in in_parts(counts) {
            signature_count::Entity::insert_many(part)
                .on_conflict(
                    OnConflict::columns([
                        signature_count::Column::PetitionId,
                        signature_count::Column::Hour,
                        signature_count::Column::LandingPage,
                        signature_count::Column::Source,
                        signature_count::Column::UtmCampaign,
                        signature_count::Column::Referrer,
                        signature_count::Column::ShareTextId,
                        signature_count::Column::NewSupporter,
                    ])
                    .value(
                        signature_count::Column::Signatures,
                        Expr::cust("signature_counts.signatures + excluded.signatures"),
                    )
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        let regions: Vec<signature_region::ActiveModel> = self
            .regions
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((petition_id, region), n)| signature_region::ActiveModel {
                petition_id: Set(petition_id),
                region: Set(region),
                signatures: Set(n),
            })
            .collect();
        for part in in_parts(regions) {
            signature_region::Entity::insert_many(part)
                .on_conflict(
                    OnConflict::columns([
                        signature_region::Column::PetitionId,
                        signature_region::Column::Region,
                    ])
                    .value(
                        signature_region::Column::Signatures,
                        Expr::cust("signature_regions.signatures + excluded.signatures"),
                    )
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}

/// Signatures read back for the aggregates, in parts of this many ids.
const READ_PART: usize = 500;

/// Counts (`delta` = 1) or uncounts (-1) the stored signatures `ids`: for a change of status
/// to or from `validated`. Run it in the transaction that changes them.
pub async fn apply(db: &impl ConnectionTrait, ids: &[i64], delta: i64) -> Result<(), DbErr> {
    let mut changes = Changes::default();
    for part in ids.chunks(READ_PART) {
        let list = part.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        read_into(db, &mut changes, &format!("s.id IN ({list}) ORDER BY s.id"), delta).await?;
    }
    changes.write(db).await
}

/// Reads the signatures that match `condition` (on `signatures s`, ordered by id) into
/// `changes`; returns how many there were and the highest id among them.
async fn read_into(
    db: &impl ConnectionTrait,
    changes: &mut Changes,
    condition: &str,
    delta: i64,
) -> Result<(usize, i64), DbErr> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT s.id, s.petition_id, s.signed_at, s.landing_page, s.source, s.utm_campaign, s.referrer, \
         s.share_text_id, s.postal_code, p.postal_country, \
         CASE WHEN sp.created_at = s.signed_at THEN 1 ELSE 0 END AS fresh \
         FROM signatures s JOIN supporters sp ON sp.id = s.supporter_id JOIN petitions p ON p.id = s.petition_id \
         WHERE {condition}"
    );
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut last = 0;
    for r in &rows {
        last = r.try_get("", "id")?;
        let signed_at: DateTime<Utc> = r.try_get("", "signed_at")?;
        let text = |col: &str| -> Result<String, DbErr> {
            Ok(r.try_get::<Option<String>>("", col)?.unwrap_or_default())
        };
        let key = Key {
            petition_id: r.try_get("", "petition_id")?,
            hour: hour_of(signed_at),
            landing_page: text("landing_page")?,
            source: text("source")?,
            utm_campaign: text("utm_campaign")?,
            referrer: text("referrer")?,
            share_text_id: r.try_get::<Option<i64>>("", "share_text_id")?.unwrap_or_default(),
            new_supporter: r.try_get::<i32>("", "fresh")? == 1,
        };
        let region = postal_region(&text("postal_code")?, &text("postal_country")?);
        changes.add(key, &region, delta);
    }
    Ok((rows.len(), last))
}

/// Counts petition `petition_id`'s regions again from its counted signatures (after its postal
/// country changed, since a region is read by the country). Run it in a transaction.
pub async fn recount_regions(db: &impl ConnectionTrait, petition_id: i64) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    signature_region::Entity::delete_many()
        .filter(signature_region::Column::PetitionId.eq(petition_id))
        .exec(db)
        .await?;
    let mut changes = Changes::default();
    let mut after = 0;
    loop {
        let page = format!(
            "s.petition_id = {petition_id} AND s.status = 'validated' AND s.id > {after} \
             ORDER BY s.id LIMIT {REBUILD_PAGE}"
        );
        let (n, last) = read_into(db, &mut changes, &page, 1).await?;
        if n < REBUILD_PAGE {
            break;
        }
        after = last;
    }
    // Only the regions: the other aggregates did not change.
    changes.counts.clear();
    changes.write(db).await
}

/// The setting the migration that made the aggregates left, asking for them to be filled.
const REBUILD: &str = "rebuild_signature_counts";

/// Fills the aggregates from the signatures stored when asked to (once, after the migration
/// that made them); called after migrating, before serving.
pub async fn rebuild_if_asked(db: &DatabaseConnection) -> Result<bool, DbErr> {
    if setting::Entity::find_by_id(REBUILD).one(db).await?.is_none() {
        return Ok(false);
    }
    let txn = db.begin().await?;
    // Taking the request is the transaction's first write: of two processes migrating at once,
    // the second waits for the first and then finds nothing to take, instead of adding its own
    // counts to the first's.
    let taken = setting::Entity::delete_by_id(REBUILD).exec(&txn).await?.rows_affected;
    if taken == 0 {
        txn.rollback().await?;
        return Ok(false);
    }
    rebuild_in(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// Signatures read at once by [`rebuild`].
const REBUILD_PAGE: usize = 5_000;

/// Makes the aggregates again from every validated signature, in one transaction: a recount.
pub async fn rebuild(db: &DatabaseConnection) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    rebuild_in(&txn).await?;
    txn.commit().await
}

/// [`rebuild`] inside the caller's transaction.
async fn rebuild_in(txn: &impl ConnectionTrait) -> Result<(), DbErr> {
    signature_count::Entity::delete_many().exec(txn).await?;
    signature_region::Entity::delete_many().exec(txn).await?;
    // A petition at a time keeps the memory to one petition's distinct keys.
    let backend = txn.get_database_backend();
    let petitions = txn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT DISTINCT petition_id FROM signatures ORDER BY petition_id".to_owned(),
        ))
        .await?;
    for p in petitions {
        let id: i64 = p.try_get("", "petition_id")?;
        add_petition(txn, id).await?;
    }
    Ok(())
}

/// Adds petition `id`'s aggregates, made from its validated signatures.
async fn add_petition(txn: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    let mut changes = Changes::default();
    // In pages of ids, so that only a page of signatures is in memory at once.
    let mut after = 0;
    loop {
        let page = format!(
            "s.petition_id = {id} AND s.status = 'validated' AND s.id > {after} \
             ORDER BY s.id LIMIT {REBUILD_PAGE}"
        );
        let (n, last) = read_into(txn, &mut changes, &page, 1).await?;
        if n < REBUILD_PAGE {
            break;
        }
        after = last;
    }
    changes.write(txn).await
}

/// Makes petition `id`'s aggregates again from its validated signatures, inside the caller's
/// transaction (which holds the petition's tally row, so no signature of it commits meanwhile).
pub async fn rebuild_petition(txn: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    signature_count::Entity::delete_many()
        .filter(signature_count::Column::PetitionId.eq(id))
        .exec(txn)
        .await?;
    signature_region::Entity::delete_many()
        .filter(signature_region::Column::PetitionId.eq(id))
        .exec(txn)
        .await?;
    add_petition(txn, id).await
}
