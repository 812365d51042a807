//! Paper batches: their entries stored as signatures (source `paper`) in one transaction with
//! the batch, the tally, the aggregates and the `signature.created` webhooks, without the
//! entries that were already signers.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use entity::{paper_batch, petition, petition_tally, setting, signature};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    TryInsertResult,
    sea_query::{Expr, ExprTrait},
};

use super::{
    rollup,
    signatures::{self, NewRow},
    webhooks::{self, NewFact},
};
use crate::domain::{
    ShareCode,
    paper::{Batch, name_key, postal_prefix},
};

/// Postal codes looked up in one statement.
const LOOKUP_PART: usize = 500;

/// A batch to enter, and who enters it.
pub struct NewBatch<'a> {
    pub batch: &'a Batch,
    pub staff_id: Option<i64>,
    pub actor: &'a str,
}

/// What entering a batch did.
#[derive(Debug)]
pub struct Entered {
    pub batch: paper_batch::Model,
    /// The places (in the batch) of the entries that were already signers, or repeated an
    /// earlier entry.
    pub duplicates: Vec<usize>,
    /// The new tally, when any entry counted.
    pub tally: Option<petition_tally::Model>,
}

/// Enters `new.batch` for `p` in `db` (a transaction): an entry is a duplicate when the
/// petition already has a signer with its email address, or with its name and postal code.
pub async fn enter(
    db: &impl ConnectionTrait,
    p: &petition::Model,
    new: NewBatch<'_>,
    now: DateTime<Utc>,
) -> Result<Entered, DbErr> {
    let b = new.batch;
    // Both databases keep microseconds, and new supporters are told by their time being `now`.
    let now = now.trunc_subsecs(6);
    // The batch first: on SQLite the transaction takes the write lock before it reads.
    let batch = paper_batch::Entity::insert(paper_batch::ActiveModel {
        petition_id: Set(p.id),
        source: Set(b.source.clone()),
        collected_on: Set(b.collected_on.format("%Y-%m-%d").to_string()),
        staff_id: Set(new.staff_id),
        actor: Set(new.actor.to_owned()),
        entered_at: Set(now),
        entries: Set(count(b.entries.len())),
        added: Set(0),
        duplicates: Set(0),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    // The petition's tally row next, before reading who counts: a confirmation or release
    // counting the same person at once takes it too, so one of the two sees the other.
    signatures::add_to_tally(db, p.id, 0, now).await?;

    let mut known = names_signed(db, p.id, b).await?;
    let mut duplicates = Vec::new();
    let mut places = Vec::with_capacity(b.entries.len());
    for (i, e) in b.entries.iter().enumerate() {
        if e.name_key.as_ref().is_some_and(|k| !known.insert(k.clone())) {
            duplicates.push(i);
        } else {
            places.push(i);
        }
    }
    let codes: Vec<ShareCode> = places.iter().map(|_| ShareCode::generate()).collect();
    let rows: Vec<NewRow<'_>> = places
        .iter()
        .zip(&codes)
        .map(|(&i, share_code)| NewRow {
            petition_id: p.id,
            status: signature::Status::Validated,
            input: &b.entries[i].input,
            canonical: &b.entries[i].canonical,
            share_code,
            paper_batch_id: Some(batch.id),
            limited_domain: None,
        })
        .collect();
    let stored = signatures::insert_batch(db, &rows, now).await?;

    let hour = rollup::hour_of(now);
    let mut counted = rollup::Changes::default();
    let mut ids = Vec::new();
    for ((&i, row), stored) in places.iter().zip(&rows).zip(&stored) {
        match stored {
            Some(s) => {
                let key = rollup::Key::of(p.id, &hour, &row.input.attribution, s.new_supporter);
                counted.add(key, &row.input.region, 1);
                ids.push(s.id);
            }
            None => duplicates.push(i),
        }
    }
    duplicates.sort_unstable();
    let tally = if ids.is_empty() {
        None
    } else {
        let t = signatures::add_to_tally(db, p.id, i64::try_from(ids.len()).unwrap_or(i64::MAX), now).await?;
        counted.write(db).await?;
        let facts: Vec<NewFact> = ids.iter().map(|&id| NewFact(id, p.id, t.validated)).collect();
        webhooks::enqueue_signatures(db, &facts, now).await?;
        Some(t)
    };
    paper_batch::Entity::update_many()
        .col_expr(paper_batch::Column::Added, Expr::value(count(ids.len())))
        .col_expr(paper_batch::Column::Duplicates, Expr::value(count(duplicates.len())))
        .filter(paper_batch::Column::Id.eq(batch.id))
        .exec(db)
        .await?;
    let batch = paper_batch::Model { added: count(ids.len()), duplicates: count(duplicates.len()), ..batch };
    Ok(Entered { batch, duplicates, tally })
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The names and postal codes ([`name_key`]) of the petition's signers who count and whose
/// postal code starts like an entry's of the batch (so that `1011 AB` finds `1011AB`, and
/// `94110` finds `94110-1234`). A signer still waiting for confirmation is not one: the paper
/// entry counts until they confirm, and then stops ([`settle_counted`]).
async fn names_signed(
    db: &impl ConnectionTrait,
    petition_id: i64,
    b: &Batch,
) -> Result<HashSet<String>, DbErr> {
    use signature::Column as C;
    let mut prefixes: Vec<String> = b
        .entries
        .iter()
        .filter_map(|e| e.input.postal_code.as_ref())
        .map(|c| postal_prefix(c.as_str()))
        .collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    let mut known = HashSet::new();
    for part in prefixes.chunks(LOOKUP_PART) {
        let rows: Vec<(String, String, String)> = signature::Entity::find()
            .select_only()
            .columns([C::GivenName, C::FamilyName, C::PostalCode])
            .filter(C::PetitionId.eq(petition_id))
            .filter(C::Status.eq(signature::Status::Validated))
            .filter(C::PaperBatchId.is_null())
            .filter(C::GivenName.ne(""))
            .filter(Expr::cust(POSTAL_PREFIX).is_in(part.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(rows.iter().map(|(g, f, z)| name_key(g, f, z)));
    }
    Ok(known)
}

/// [`postal_prefix`] of a stored postal code (stored in upper case), in SQL both databases speak.
const POSTAL_PREFIX: &str = "substr(replace(replace(postal_code, ' ', ''), '-', ''), 1, 3)";

/// The setting that holds the highest signature id [`check_later_online`] has looked at.
const CHECKED: &str = "paper_checked_through";

/// How old (in seconds) a signature is before the check looks at it.
pub const SETTLED_S: i64 = 60;

/// Why a paper signature stopped counting when its signer signed online too.
pub const SIGNED_ONLINE_TOO: &str =
    "The same person (name and postal code) signed online after the paper entry";

/// Looks at the online signatures made since the last look for signers already entered on
/// paper (same petition, name and postal code), and invalidates each such paper signature as
/// an action staff can restore, so the person counts once (the online one keeps their address
/// and choices). Each signature is looked at once, by one process: the range is claimed by
/// moving the stored mark from what was read to the newest id, first in the transaction.
/// Returns how many paper signatures stopped counting.
pub async fn check_later_online(db: &super::Database, now: DateTime<Utc>) -> Result<u64, DbErr> {
    use signature::Column as C;
    let read = &db.read;
    let mark = setting::Entity::find_by_id(CHECKED).one(read).await?.map(|s| s.value);
    let after: i64 = mark.as_deref().and_then(|m| m.parse().ok()).unwrap_or(0);
    type Row = (i64, i64, String, String, String);
    let paper: Vec<Row> = signature::Entity::find()
        .select_only()
        .columns([C::Id, C::PetitionId, C::GivenName, C::FamilyName, C::PostalCode])
        .filter(C::PaperBatchId.is_not_null())
        .filter(C::Status.eq(signature::Status::Validated))
        .filter(C::PostalCode.ne(""))
        // Anonymised signatures have no name, and match no one.
        .filter(C::GivenName.ne(""))
        .into_tuple()
        .all(read)
        .await?;
    // Nothing entered on paper (most campaigns): nothing to look at, not even the newest id.
    if paper.is_empty() {
        return Ok(0);
    }
    let petitions: HashSet<i64> = paper.iter().map(|r| r.1).collect();
    // Only signatures a minute old: PostgreSQL hands out ids before their transactions commit,
    // so a newer id may be visible while an older one is not yet.
    let newest: Option<i64> = signature::Entity::find()
        .select_only()
        .column_as(C::Id.max(), "id")
        .filter(C::PetitionId.is_in(petitions.iter().copied()))
        .filter(C::SignedAt.lt(now - chrono::Duration::seconds(SETTLED_S)))
        .into_tuple::<Option<i64>>()
        .one(read)
        .await?
        .flatten();
    let Some(newest) = newest.filter(|n| *n > after) else { return Ok(0) };
    let mut caught: Vec<(i64, i64)> = Vec::new();
    {
        let entered: HashMap<(i64, String), i64> =
            paper.iter().map(|(id, p, g, f, z)| ((*p, name_key(g, f, z)), *id)).collect();
        let prefixes: HashSet<String> = paper.iter().map(|r| postal_prefix(&r.4)).collect();
        let online: Vec<Row> = signature::Entity::find()
            .select_only()
            .columns([C::Id, C::PetitionId, C::GivenName, C::FamilyName, C::PostalCode])
            .filter(C::PetitionId.is_in(petitions))
            .filter(C::Id.gt(after))
            .filter(C::Id.lte(newest))
            .filter(C::PaperBatchId.is_null())
            .filter(C::GivenName.ne(""))
            .filter(C::Status.eq(signature::Status::Validated))
            .filter(Expr::cust(POSTAL_PREFIX).is_in(prefixes))
            .into_tuple()
            .all(read)
            .await?;
        let mut seen = HashSet::new();
        for (_, petition_id, g, f, z) in &online {
            if let Some(&paper_id) = entered.get(&(*petition_id, name_key(g, f, z)))
                && seen.insert(paper_id)
            {
                caught.push((*petition_id, paper_id));
            }
        }
    }
    let txn = db.write.begin().await?;
    // The range is this process's only if the mark is still what was read.
    let claimed = match mark {
        Some(m) => {
            setting::Entity::update_many()
                .col_expr(setting::Column::Value, Expr::value(newest.to_string()))
                .filter(setting::Column::Key.eq(CHECKED))
                .filter(setting::Column::Value.eq(m))
                .exec(&txn)
                .await?
                .rows_affected
                == 1
        }
        None => matches!(
            setting::Entity::insert(setting::ActiveModel { key: Set(CHECKED.into()), value: Set(newest.to_string()) })
                .on_conflict_do_nothing_on([setting::Column::Key])
                .exec_without_returning(&txn)
                .await?,
            TryInsertResult::Inserted(n) if n > 0
        ),
    };
    if !claimed {
        return Ok(0);
    }
    let mut stopped = 0;
    for (petition_id, paper_id) in caught {
        stopped += stop_counting(&txn, petition_id, paper_id, now).await?;
    }
    txn.commit().await?;
    if stopped > 0 {
        tracing::info!(
            signatures = stopped,
            "paper signatures stopped counting: their signers signed online too"
        );
    }
    Ok(stopped)
}

/// Online signatures `ids` of petition `petition_id` just started counting (confirmed by
/// their signers, or released by staff): a paper entry of the same person (name and postal
/// code) stops counting, as [`check_later_online`] does for signatures counted when made.
/// Returns how many stopped. Run it in the transaction that counted them.
pub async fn settle_counted(
    db: &impl ConnectionTrait,
    petition_id: i64,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use signature::Column as C;
    type Row = (i64, String, String, String);
    let mut stopped = 0;
    for part in ids.chunks(LOOKUP_PART) {
        let online: Vec<Row> = signature::Entity::find()
            .select_only()
            .columns([C::Id, C::GivenName, C::FamilyName, C::PostalCode])
            .filter(C::Id.is_in(part.iter().copied()))
            .filter(C::PaperBatchId.is_null())
            .filter(C::GivenName.ne(""))
            .filter(C::PostalCode.ne(""))
            .into_tuple()
            .all(db)
            .await?;
        if online.is_empty() {
            continue;
        }
        let prefixes: HashSet<String> = online.iter().map(|r| postal_prefix(&r.3)).collect();
        let keys: HashSet<String> = online.iter().map(|(_, g, f, z)| name_key(g, f, z)).collect();
        let paper: Vec<Row> = signature::Entity::find()
            .select_only()
            .columns([C::Id, C::GivenName, C::FamilyName, C::PostalCode])
            .filter(C::PetitionId.eq(petition_id))
            .filter(C::PaperBatchId.is_not_null())
            .filter(C::GivenName.ne(""))
            .filter(C::Status.eq(signature::Status::Validated))
            .filter(Expr::cust(POSTAL_PREFIX).is_in(prefixes))
            .into_tuple()
            .all(db)
            .await?;
        for (paper_id, g, f, z) in paper {
            if !keys.contains(&name_key(&g, &f, &z)) {
                continue;
            }
            stopped += stop_counting(db, petition_id, paper_id, now).await?;
        }
    }
    Ok(stopped)
}

/// Paper signature `paper_id` stops counting: its signer signed online too (an invalidation by
/// the "paper check", which staff can restore). Returns 1 if it counted, else 0.
async fn stop_counting(
    db: &impl ConnectionTrait,
    petition_id: i64,
    paper_id: i64,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use super::invalidations::{Criteria, Invalidation, invalidate};
    let criteria = Criteria { signature_id: Some(paper_id), ..Criteria::default() };
    let inv =
        Invalidation { criteria: &criteria, reason: SIGNED_ONLINE_TOO, staff_id: None, actor: "paper check" };
    Ok(invalidate(db, petition_id, &inv, now).await?.changed)
}

/// A campaign's paper batches, newest first.
pub async fn batches(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<paper_batch::Model>, DbErr> {
    paper_batch::Entity::find()
        .filter(paper_batch::Column::PetitionId.eq(petition_id))
        .order_by_desc(paper_batch::Column::Id)
        .all(db)
        .await
}
