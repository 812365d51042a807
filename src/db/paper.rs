//! Paper batches: their entries stored as signatures (source `paper`) in one transaction with
//! the batch, the tally, the aggregates and the `signature.created` webhooks, without the
//! entries that were already signers.

use std::collections::HashSet;

use chrono::{DateTime, SubsecRound, Utc};
use entity::{paper_batch, petition, petition_tally, signature};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::{
    rollup,
    signatures::{self, NewRow},
    webhooks::{self, NewFact},
};
use crate::domain::{
    ShareCode,
    paper::{Batch, name_key},
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

/// The names and postal codes ([`name_key`]) of the petition's signers (any status) who share
/// a postal code with an entry of the batch.
async fn names_signed(
    db: &impl ConnectionTrait,
    petition_id: i64,
    b: &Batch,
) -> Result<HashSet<String>, DbErr> {
    use signature::Column as C;
    let mut postal: Vec<&str> =
        b.entries.iter().filter_map(|e| e.input.postal_code.as_ref()).map(|c| c.as_str()).collect();
    postal.sort_unstable();
    postal.dedup();
    let mut known = HashSet::new();
    for part in postal.chunks(LOOKUP_PART) {
        let rows: Vec<(String, String, String)> = signature::Entity::find()
            .select_only()
            .columns([C::GivenName, C::FamilyName, C::PostalCode])
            .filter(C::PetitionId.eq(petition_id))
            .filter(C::PostalCode.is_in(part.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(rows.iter().map(|(g, f, z)| name_key(g, f, z)));
    }
    Ok(known)
}

/// A campaign's paper batches, newest first.
pub async fn batches(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<paper_batch::Model>, DbErr> {
    paper_batch::Entity::find()
        .filter(paper_batch::Column::PetitionId.eq(petition_id))
        .order_by_desc(paper_batch::Column::Id)
        .all(db)
        .await
}
