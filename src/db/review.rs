//! What abuse review reads: a petition's newest signatures back to a moment, walked from the
//! newest by id (the order they were stored in), a slice at a time, so the look costs what the
//! window holds, not what the petition holds.

use chrono::{DateTime, Utc};
use entity::signature;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

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
            .limit(SLICE)
            .into_tuple()
            .all(db)
            .await?;
        let full = rows.len() as u64 == SLICE;
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
