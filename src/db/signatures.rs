//! Signatures and supporters.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{petition_tally, signature, supporter};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait,
    sea_query::{Expr, OnConflict, Query},
};

use crate::domain::{ShareCode, SignatureInput};

/// One signature to store in a batch.
pub struct NewRow<'a> {
    pub petition_id: i64,
    pub status: signature::Status,
    pub input: &'a SignatureInput,
    /// `input.email.canonical()`, computed once by the caller.
    pub canonical: &'a str,
    pub share_code: &'a ShareCode,
    /// The paper batch it is entered in, if it is a paper signature.
    pub paper_batch_id: Option<i64>,
    /// The address's domain, when the per-domain limit counts this signature.
    pub limited_domain: Option<&'a str>,
}

/// A signature a batch stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    /// Its supporter was made by this batch: the signature is their first ever.
    pub new_supporter: bool,
}

/// Stores a batch of signatures with one statement for the supporters and one for the
/// signatures, creating supporters whose canonical email is new. Returns, per row, the stored
/// signature: `None` means this person had already signed this petition (earlier, or earlier
/// in the same batch), and then nothing was changed for that row. `now` must not have more
/// than microsecond precision (both databases keep no more), since a new supporter is told by
/// its creation time being `now`.
pub async fn insert_batch(
    db: &impl ConnectionTrait,
    rows: &[NewRow<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Option<Stored>>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();

    // Supporters: one row per canonical email (the first signer's details), in batch order.
    // The no-op update makes both databases return the id of a supporter that already existed.
    let mut emails: HashSet<&str> = HashSet::with_capacity(rows.len());
    let supporters = rows.iter().filter(|r| emails.insert(r.canonical)).map(|r| {
        let input = r.input;
        supporter::ActiveModel {
            email_canonical: Set(r.canonical.to_owned()),
            email: Set(input.email.as_ref().map_or_else(String::new, |e| e.as_str().to_owned())),
            given_name: Set(input.given_name.as_str().to_owned()),
            family_name: Set(input.family_name.as_str().to_owned()),
            postal_code: Set(input.postal_code.as_ref().map_or_else(String::new, |c| c.as_str().to_owned())),
            phone: Set(input.phone.as_ref().map(|p| p.as_str().to_owned())),
            created_at: Set(now),
            ..Default::default()
        }
    });
    let mut supporter_id: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    let mut made: HashSet<i64> = HashSet::with_capacity(rows.len());
    for part in in_parts(supporters.collect()) {
        let mut q = supporter::Entity::insert_many(part)
            .on_conflict(
                OnConflict::column(supporter::Column::EmailCanonical)
                    .update_column(supporter::Column::EmailCanonical)
                    .to_owned(),
            )
            .into_query();
        q.returning(Query::returning().columns([
            supporter::Column::Id,
            supporter::Column::EmailCanonical,
            supporter::Column::CreatedAt,
        ]));
        for row in db.query_all_raw(backend.build(&q)).await? {
            let id = row.try_get("", "id")?;
            if row.try_get::<DateTime<Utc>>("", "created_at")? == now {
                made.insert(id);
            }
            supporter_id.insert(row.try_get("", "email_canonical")?, id);
        }
    }

    // Signatures: a repeat of the same person on the same petition within the batch is not
    // even offered to the database; repeats of earlier signatures are skipped by it.
    // `offered[i]` is the supporter id of row i when it was offered.
    let mut seen: HashSet<(i64, &str)> = HashSet::with_capacity(rows.len());
    let mut offered: Vec<Option<i64>> = vec![None; rows.len()];
    let mut signatures = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if !seen.insert((r.petition_id, r.canonical)) {
            continue;
        }
        let Some(&sid) = supporter_id.get(r.canonical) else {
            return Err(DbErr::Custom("a supporter was not returned by its insert".into()));
        };
        offered[i] = Some(sid);
        let (input, a) = (r.input, &r.input.attribution);
        signatures.push(signature::ActiveModel {
            petition_id: Set(r.petition_id),
            supporter_id: Set(sid),
            status: Set(r.status),
            given_name: Set(input.given_name.as_str().to_owned()),
            family_name: Set(input.family_name.as_str().to_owned()),
            email: Set(input.email.as_ref().map_or_else(String::new, |e| e.as_str().to_owned())),
            postal_code: Set(input.postal_code.as_ref().map_or_else(String::new, |c| c.as_str().to_owned())),
            phone: Set(input.phone.as_ref().map(|p| p.as_str().to_owned())),
            employer: Set(input.employer.clone()),
            job_title: Set(input.job_title.clone()),
            worksite: Set(input.worksite.clone()),
            comment: Set(input.comment.clone()),
            email_opt_in: Set(input.email_opt_in),
            public_name: Set(input.public_name),
            source: Set(a.source.clone()),
            referrer: Set(a.referrer.clone()),
            landing_page: Set(a.landing_page.clone()),
            utm_source: Set(a.utm_source.clone()),
            utm_medium: Set(a.utm_medium.clone()),
            utm_campaign: Set(a.utm_campaign.clone()),
            utm_content: Set(a.utm_content.clone()),
            utm_term: Set(a.utm_term.clone()),
            ref_code: Set(a.ref_code.clone()),
            share_text_id: Set(a.share_text_id()),
            network_hash: Set(input.network_hash.clone()),
            email_domain: Set(r.limited_domain.map(str::to_owned)),
            share_code: Set(r.share_code.as_str().to_owned()),
            signed_at: Set(now),
            confirmed_at: Set(None),
            paper_batch_id: Set(r.paper_batch_id),
            ..Default::default()
        });
    }
    let mut stored: HashMap<(i64, i64), i64> = HashMap::with_capacity(rows.len());
    for part in in_parts(signatures) {
        let mut q = signature::Entity::insert_many(part)
            .on_conflict(
                OnConflict::columns([signature::Column::PetitionId, signature::Column::SupporterId])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        q.returning(Query::returning().columns([
            signature::Column::Id,
            signature::Column::PetitionId,
            signature::Column::SupporterId,
        ]));
        for row in db.query_all_raw(backend.build(&q)).await? {
            stored.insert(
                (row.try_get("", "petition_id")?, row.try_get("", "supporter_id")?),
                row.try_get("", "id")?,
            );
        }
    }
    Ok(rows
        .iter()
        .zip(offered)
        .map(|(r, sid)| {
            let sid = sid?;
            let id = *stored.get(&(r.petition_id, sid))?;
            Some(Stored { id, new_supporter: made.contains(&sid) })
        })
        .collect())
}

/// Most rows in one multi-row statement.
const PART_ROWS: usize = 64;

/// Splits rows for multi-row statements into parts of [`PART_ROWS`] and then of powers of two
/// (100 rows: 64, 32, 4). Each row count is its own SQL text, and the driver keeps every
/// statement it prepares (up to a hundred per connection); with any count allowed, those were
/// hundreds of large statements and tens of megabytes per connection, where these few sizes
/// keep a handful, prepared once and reused.
pub(crate) fn in_parts<T>(mut rows: Vec<T>) -> Vec<Vec<T>> {
    let mut parts = Vec::new();
    while !rows.is_empty() {
        let n = if rows.len() >= PART_ROWS { PART_ROWS } else { 1 << rows.len().ilog2() };
        let rest = rows.split_off(n);
        parts.push(std::mem::replace(&mut rows, rest));
    }
    parts
}

/// Adds `delta` validated signatures to a petition's tally and returns the updated row.
pub async fn add_to_tally(
    db: &impl ConnectionTrait,
    petition_id: i64,
    delta: i64,
    now: DateTime<Utc>,
) -> Result<petition_tally::Model, DbErr> {
    petition_tally::Entity::insert(petition_tally::ActiveModel {
        petition_id: Set(petition_id),
        validated: Set(delta),
        version: Set(1),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(petition_tally::Column::PetitionId)
            .value(
                petition_tally::Column::Validated,
                Expr::cust("petition_tallies.validated + excluded.validated"),
            )
            .value(petition_tally::Column::Version, Expr::cust("petition_tallies.version + 1"))
            .update_column(petition_tally::Column::UpdatedAt)
            .to_owned(),
    )
    .exec_with_returning(db)
    .await
}

/// Counts a petition's validated signatures row by row (the tally must always agree).
pub async fn recount(db: &impl ConnectionTrait, petition_id: i64) -> Result<i64, DbErr> {
    let n = signature::Entity::find()
        .filter(signature::Column::PetitionId.eq(petition_id))
        .filter(signature::Column::Status.eq(signature::Status::Validated))
        .count(db)
        .await?;
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The first name and email address a signature was signed with, to write to its signer.
pub async fn contact(db: &impl ConnectionTrait, id: i64) -> Result<Option<(String, String)>, DbErr> {
    signature::Entity::find_by_id(id)
        .select_only()
        .columns([signature::Column::GivenName, signature::Column::Email])
        .into_tuple()
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_into_few_statement_sizes_in_order() {
        let sizes = |n: usize| in_parts((0..n).collect()).iter().map(Vec::len).collect::<Vec<_>>();
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(64), [64]);
        assert_eq!(sizes(100), [64, 32, 4]);
        assert_eq!(sizes(200), [64, 64, 64, 8]);
        assert_eq!(sizes(63), [32, 16, 8, 4, 2, 1]);
        for n in 0..600 {
            let parts = in_parts((0..n).collect::<Vec<_>>());
            assert!(parts.iter().all(|p| p.len().is_power_of_two() && p.len() <= PART_ROWS));
            assert_eq!(parts.concat(), (0..n).collect::<Vec<_>>(), "every row once, in order");
        }
    }
}
