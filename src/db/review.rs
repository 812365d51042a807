//! What abuse review reads: a petition's newest signatures back to a moment, walked from the
//! newest by id (the order they were stored in), a slice at a time, so the look costs what the
//! window holds, not what the petition holds; and the notices emailed to staff, once an hour
//! each.

use chrono::{DateTime, Utc};
use entity::{petition, review_notice, signature, staff};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::review::Seen;

/// Signatures read per query.
const SLICE: u64 = 5_000;

/// Petition `petition_id`'s signatures signed at or after `since`, newest first, at most `max`
/// (ids follow the time of signing, so the walk stops at the first slice with none so new).
pub async fn recent(
    db: &impl ConnectionTrait,
    petition_id: i64,
    since: DateTime<Utc>,
    max: usize,
) -> Result<Vec<Seen>, DbErr> {
    type Row = (i64, DateTime<Utc>, Option<String>, String, signature::Status);
    let mut out = Vec::new();
    let mut before = i64::MAX;
    // A small look reads no more than it keeps.
    let slice = SLICE.min(u64::try_from(max).unwrap_or(SLICE).saturating_add(1));
    loop {
        let rows: Vec<Row> = signature::Entity::find()
            .select_only()
            .columns([
                signature::Column::Id,
                signature::Column::SignedAt,
                signature::Column::NetworkHash,
                signature::Column::Email,
                signature::Column::Status,
            ])
            .filter(signature::Column::PetitionId.eq(petition_id))
            .filter(signature::Column::Id.lt(before))
            .order_by_desc(signature::Column::Id)
            .limit(slice)
            .into_tuple()
            .all(db)
            .await?;
        let full = rows.len() as u64 == slice;
        let mut any_recent = false;
        for (id, signed_at, network, email, status) in rows {
            before = id;
            if signed_at >= since {
                any_recent = true;
                out.push(Seen::new(signed_at, network, &email, status));
            }
        }
        // A slice with none in the window: everything older is older still.
        if !full || !any_recent || out.len() >= max {
            out.truncate(max);
            return Ok(out);
        }
    }
}

/// Open petitions whose newest signature was signed at or after `since`: id and title.
pub async fn open_signed_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, String)>, DbErr> {
    let open: Vec<(i64, String)> = petition::Entity::find()
        .select_only()
        .columns([petition::Column::Id, petition::Column::Title])
        .filter(petition::Column::Status.eq(petition::Status::Open))
        .order_by_asc(petition::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = Vec::new();
    for (id, title) in open {
        let newest: Option<DateTime<Utc>> = signature::Entity::find()
            .select_only()
            .column(signature::Column::SignedAt)
            .filter(signature::Column::PetitionId.eq(id))
            .order_by_desc(signature::Column::Id)
            .limit(1)
            .into_tuple()
            .one(db)
            .await?;
        if newest.is_some_and(|at| at >= since) {
            out.push((id, title));
        }
    }
    Ok(out)
}

/// Records that `petition_id`'s signing raised a notice in the hour starting `hour`; false if
/// that was recorded already (by this process or another).
pub async fn record_notice(
    db: &impl ConnectionTrait,
    petition_id: i64,
    hour: DateTime<Utc>,
    (networks, domains): (i32, i32),
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = review_notice::Entity::insert(review_notice::ActiveModel {
        petition_id: Set(petition_id),
        hour: Set(hour),
        networks: Set(networks),
        domains: Set(domains),
        noticed_at: Set(now),
    })
    .on_conflict_do_nothing_on([review_notice::Column::PetitionId, review_notice::Column::Hour])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, sea_orm::TryInsertResult::Inserted(n) if n > 0))
}

/// The hours since `since` in which `petition_id`'s signing was noticed already.
pub async fn noticed_since(
    db: &impl ConnectionTrait,
    petition_id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    review_notice::Entity::find()
        .select_only()
        .column(review_notice::Column::Hour)
        .filter(review_notice::Column::PetitionId.eq(petition_id))
        .filter(review_notice::Column::Hour.gte(since))
        .into_tuple()
        .all(db)
        .await
}

/// Who hears of a petition's review notices: every organizer and admin with an account in use
/// (roles are the server's, not a campaign's), but those who stopped `kind` about it.
pub async fn notice_recipients(
    db: &impl ConnectionTrait,
    petition_id: i64,
    kind: &str,
) -> Result<Vec<String>, DbErr> {
    let stopped = super::unsubscribes::stopped(db, kind, petition_id).await?;
    let staff: Vec<String> = staff::Entity::find()
        .select_only()
        .column(staff::Column::Email)
        .filter(staff::Column::Role.is_in([staff::Role::Organizer, staff::Role::Admin]))
        .filter(staff::Column::PasswordHash.is_not_null())
        .order_by_asc(staff::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(staff.into_iter().filter(|e| !stopped.contains(&e.to_lowercase())).collect())
}
