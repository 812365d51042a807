//! Delivery schedules and what they made (one row per threshold or week, written first in the
//! delivery's transaction, so two processes cannot both make it), and the letters whose
//! recipients get a daily update (one row per day, likewise).

use chrono::{DateTime, Utc};
use entity::{
    delivery_schedule, petition, petition_tally, recipient_digest, scheduled_delivery, signature, staff,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TryInsertResult, sea_query::Expr,
};

use super::mail::{self, NewEmail};

/// A schedule to make.
#[derive(Clone, Debug)]
pub struct NewSchedule<'a> {
    pub petition_id: i64,
    /// Every this many signatures …
    pub every: Option<i64>,
    /// … counted from this count (the count when the schedule was made).
    pub from_count: i64,
    /// … or weekly on this ISO weekday (1 = Monday) at `hour` UTC.
    pub weekday: Option<i16>,
    pub hour: i16,
    pub fields: String,
    pub send: bool,
    pub staff_id: Option<i64>,
    pub created_by: &'a str,
}

pub async fn create(
    db: &impl ConnectionTrait,
    new: NewSchedule<'_>,
    now: DateTime<Utc>,
) -> Result<delivery_schedule::Model, DbErr> {
    delivery_schedule::Entity::insert(delivery_schedule::ActiveModel {
        petition_id: Set(new.petition_id),
        every: Set(new.every),
        from_count: Set(new.from_count),
        weekday: Set(new.weekday),
        hour: Set(new.hour),
        fields: Set(new.fields),
        send: Set(new.send),
        staff_id: Set(new.staff_id),
        created_by: Set(new.created_by.to_owned()),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
}

/// A campaign's schedules, oldest first.
pub async fn of_petition(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<delivery_schedule::Model>, DbErr> {
    delivery_schedule::Entity::find()
        .filter(delivery_schedule::Column::PetitionId.eq(petition_id))
        .order_by_asc(delivery_schedule::Column::Id)
        .all(db)
        .await
}

/// Removes a campaign's schedule (the deliveries it made stay). `false`: there was none.
pub async fn remove(db: &impl ConnectionTrait, petition_id: i64, id: i64) -> Result<bool, DbErr> {
    let res = delivery_schedule::Entity::delete_many()
        .filter(delivery_schedule::Column::Id.eq(id))
        .filter(delivery_schedule::Column::PetitionId.eq(petition_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Every schedule of an open campaign, with its campaign and count (validated and offline).
pub async fn due_candidates(
    db: &impl ConnectionTrait,
) -> Result<Vec<(delivery_schedule::Model, petition::Model, i64)>, DbErr> {
    let rows = delivery_schedule::Entity::find()
        .find_also_related(petition::Entity)
        .filter(petition::Column::Status.eq(petition::Status::Open))
        .order_by_asc(delivery_schedule::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (s, p) in rows {
        let Some(p) = p else { continue };
        let validated = petition_tally::Entity::find_by_id(p.id).one(db).await?.map_or(0, |t| t.validated);
        let count = validated + p.offline_count;
        out.push((s, p, count));
    }
    Ok(out)
}

/// Whether schedule `id` has made (or tried) `mark`.
pub async fn made(db: &impl ConnectionTrait, id: i64, mark: &str) -> Result<bool, DbErr> {
    Ok(scheduled_delivery::Entity::find_by_id((id, mark.to_owned())).one(db).await?.is_some())
}

/// Records that schedule `id` makes `mark` now; `false` when another process already did (on
/// PostgreSQL the insert waits for that process's transaction, then finds its row).
pub async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    mark: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = scheduled_delivery::Entity::insert(scheduled_delivery::ActiveModel {
        schedule_id: Set(id),
        mark: Set(mark.to_owned()),
        delivery_id: Set(None),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([scheduled_delivery::Column::ScheduleId, scheduled_delivery::Column::Mark])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}

/// Ties a claimed mark to the delivery it made.
pub async fn link(db: &impl ConnectionTrait, id: i64, mark: &str, delivery_id: i64) -> Result<(), DbErr> {
    scheduled_delivery::Entity::update_many()
        .col_expr(scheduled_delivery::Column::DeliveryId, Expr::value(delivery_id))
        .filter(scheduled_delivery::Column::ScheduleId.eq(id))
        .filter(scheduled_delivery::Column::Mark.eq(mark))
        .exec(db)
        .await?;
    Ok(())
}

/// How many times each of a campaign's schedules delivered (or tried), by schedule id.
pub async fn runs(
    db: &impl ConnectionTrait,
    schedule_ids: &[i64],
) -> Result<Vec<(i64, String, Option<i64>)>, DbErr> {
    if schedule_ids.is_empty() {
        return Ok(Vec::new());
    }
    scheduled_delivery::Entity::find()
        .select_only()
        .columns([
            scheduled_delivery::Column::ScheduleId,
            scheduled_delivery::Column::Mark,
            scheduled_delivery::Column::DeliveryId,
        ])
        .filter(scheduled_delivery::Column::ScheduleId.is_in(schedule_ids.iter().copied()))
        .order_by_asc(scheduled_delivery::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await
}

/// The emails telling staff of a scheduled delivery (`note`: subject and text): to whoever made
/// the schedule and whoever asked for the campaign's goal emails, each once.
pub async fn notify(
    db: &impl ConnectionTrait,
    s: &delivery_schedule::Model,
    (subject, text): (String, String),
) -> Result<Vec<NewEmail>, DbErr> {
    let mut to = mail::alert_addresses(db, s.petition_id).await?;
    if let Some(id) = s.staff_id
        && let Some(owner) = staff::Entity::find_by_id(id).one(db).await?
        && owner.password_hash.is_some()
        && !to.contains(&owner.email)
    {
        to.push(owner.email);
    }
    Ok(to
        .into_iter()
        .map(|to| NewEmail {
            kind: crate::letters::SCHEDULED,
            petition_id: Some(s.petition_id),
            to,
            subject: subject.clone(),
            text: text.clone(),
            html: None,
            delivery_id: None,
            unsubscribe_token: None,
        })
        .collect())
}

/// Turns a campaign's daily update to its recipients on or off.
pub async fn set_digest(db: &impl ConnectionTrait, petition_id: i64, on: bool) -> Result<(), DbErr> {
    petition::Entity::update_many()
        .col_expr(petition::Column::RecipientDigest, Expr::value(on))
        .filter(petition::Column::Id.eq(petition_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Open campaigns whose recipients get a daily update and have not had `day`'s.
pub async fn digest_letters(db: &impl ConnectionTrait, day: &str) -> Result<Vec<petition::Model>, DbErr> {
    let open = petition::Entity::find()
        .filter(petition::Column::RecipientDigest.eq(true))
        .filter(petition::Column::Status.eq(petition::Status::Open))
        .all(db)
        .await?;
    let mut due = Vec::with_capacity(open.len());
    for p in open {
        if recipient_digest::Entity::find_by_id((p.id, day.to_owned())).one(db).await?.is_none() {
            due.push(p);
        }
    }
    Ok(due)
}

/// Validated signatures of `p` signed in `[from, to)`, and its whole count now.
pub async fn signed_between(
    db: &impl ConnectionTrait,
    p: &petition::Model,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, i64), DbErr> {
    use signature::Column as C;
    let signed = signature::Entity::find()
        .filter(C::PetitionId.eq(p.id))
        .filter(C::Status.eq(signature::Status::Validated))
        .filter(C::SignedAt.gte(from))
        .filter(C::SignedAt.lt(to))
        .count(db)
        .await?;
    let validated = petition_tally::Entity::find_by_id(p.id).one(db).await?.map_or(0, |t| t.validated);
    Ok((i64::try_from(signed).unwrap_or(i64::MAX), validated + p.offline_count))
}

/// Records `day`'s update of `petition_id`; `false` when another process already did.
pub async fn claim_digest(
    db: &impl ConnectionTrait,
    petition_id: i64,
    day: &str,
    signed: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let res = recipient_digest::Entity::insert(recipient_digest::ActiveModel {
        petition_id: Set(petition_id),
        day: Set(day.to_owned()),
        signed: Set(signed),
        created_at: Set(now),
    })
    .on_conflict_do_nothing_on([recipient_digest::Column::PetitionId, recipient_digest::Column::Day])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(res, TryInsertResult::Inserted(n) if n > 0))
}
