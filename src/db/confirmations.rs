//! Email confirmation links: written with their signature, used once by `POST /confirm/{token}`,
//! reminded once after a day. Only the SHA-256 of a link's token is stored.

use chrono::{DateTime, Utc};
use entity::{confirmation, signature, supporter};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, sea_query::Expr,
};

use super::{invalidations, mail, rollup, signatures, webhooks};
use crate::{domain::webhook::Event, tally::Tally};

/// A confirmation link to write with a new signature.
#[derive(Clone, Debug)]
pub struct NewLink {
    pub signature_id: i64,
    pub petition_id: i64,
    pub token_hash: String,
    pub locale: &'static str,
}

/// How long a link confirms.
pub const LIFETIME: chrono::Duration = chrono::Duration::days(7);
/// How long after signing the reminder goes, if the first link was not used.
pub const REMIND_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// Writes the links of new signatures (in the signing transaction).
pub async fn insert(db: &impl ConnectionTrait, links: Vec<NewLink>, now: DateTime<Utc>) -> Result<(), DbErr> {
    for part in signatures::in_parts(links) {
        let rows = part.into_iter().map(|l| confirmation::ActiveModel {
            signature_id: Set(l.signature_id),
            petition_id: Set(l.petition_id),
            token_hash: Set(l.token_hash),
            reminder_hash: Set(None),
            locale: Set(l.locale.to_owned()),
            created_at: Set(now),
            expires_at: Set(now + LIFETIME),
            reminded_at: Set(None),
            confirmed_at: Set(None),
        });
        confirmation::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The link with this token's hash (the first email's or the reminder's).
pub async fn find(db: &impl ConnectionTrait, token_hash: &str) -> Result<Option<confirmation::Model>, DbErr> {
    confirmation::Entity::find()
        .filter(
            Condition::any()
                .add(confirmation::Column::TokenHash.eq(token_hash))
                .add(confirmation::Column::ReminderHash.eq(token_hash)),
        )
        .one(db)
        .await
}

/// What a link is, before anyone presses its button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Good: it would confirm a signature of this petition.
    Open {
        petition_id: i64,
    },
    /// Used already (by this link or its reminder).
    Used {
        petition_id: i64,
    },
    Expired {
        petition_id: i64,
    },
    /// No such link.
    Unknown,
}

impl State {
    pub fn of(link: Option<&confirmation::Model>, now: DateTime<Utc>) -> Self {
        match link {
            None => Self::Unknown,
            Some(l) if l.confirmed_at.is_some() => Self::Used { petition_id: l.petition_id },
            Some(l) if l.expires_at <= now => Self::Expired { petition_id: l.petition_id },
            Some(l) => Self::Open { petition_id: l.petition_id },
        }
    }
}

/// What pressing the button did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmed {
    /// The signature counts now (or already did, or staff had removed it: then it stays
    /// removed): its petition, share code, and the petition's new tally if it changed.
    Done { petition_id: i64, share_code: String, tally: Option<Tally> },
    /// The link was not good (used, expired or unknown), as [`State`] says.
    Refused(State),
}

/// Uses the link with `token_hash` up and counts its signature, in one transaction: two presses
/// (or the email's link and its reminder's) count it once. A `pending` or `held` signature
/// becomes `validated`, with the tally, the aggregates and a `signature.created` webhook, as a
/// signature counted when it was made.
pub async fn confirm(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Confirmed, DbErr> {
    use confirmation::Column as C;
    let used = confirmation::Entity::update_many()
        .col_expr(C::ConfirmedAt, Expr::value(now))
        .filter(Condition::any().add(C::TokenHash.eq(token_hash)).add(C::ReminderHash.eq(token_hash)))
        .filter(C::ConfirmedAt.is_null())
        .filter(C::ExpiresAt.gt(now))
        .exec_with_returning(db)
        .await?;
    let Some(link) = used.into_iter().next() else {
        return Ok(Confirmed::Refused(State::of(find(db, token_hash).await?.as_ref(), now)));
    };
    let counted = signature::Entity::update_many()
        .col_expr(signature::Column::Status, Expr::value(signature::Status::Validated))
        .col_expr(signature::Column::ConfirmedAt, Expr::value(now))
        .col_expr(signature::Column::ChangedAt, Expr::value(invalidations::changed_at(now)))
        .filter(signature::Column::Id.eq(link.signature_id))
        .filter(signature::Column::Status.is_in([signature::Status::Pending, signature::Status::Held]))
        .exec(db)
        .await?
        .rows_affected
        > 0;
    let tally = if counted {
        let mut tally = signatures::add_to_tally(db, link.petition_id, 1, now).await?;
        rollup::apply(db, &[link.signature_id], 1).await?;
        // The same person entered on paper stops counting: they count once, online.
        if super::paper::settle_counted(db, link.petition_id, &[link.signature_id], now).await? > 0 {
            tally = signatures::add_to_tally(db, link.petition_id, 0, now).await?;
        }
        // It counts from now (`signature.created`), because its signer confirmed.
        let fact = [webhooks::NewFact(link.signature_id, link.petition_id, tally.validated)];
        webhooks::enqueue_signatures(db, &fact, now).await?;
        webhooks::enqueue_about_signatures(db, Event::SignatureConfirmed, &fact, now).await?;
        Some(Tally::from(&tally))
    } else {
        None
    };
    let share_code: Option<String> = signature::Entity::find_by_id(link.signature_id)
        .select_only()
        .column(signature::Column::ShareCode)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Confirmed::Done { petition_id: link.petition_id, share_code: share_code.unwrap_or_default(), tally })
}

/// A link due its reminder, with what the reminder says.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Due {
    pub signature_id: i64,
    pub petition_id: i64,
    pub locale: String,
    pub email: String,
    pub given_name: String,
}

/// Links unused a day after they were sent, not reminded yet, still good, whose signature
/// still waits (at most `limit`).
pub async fn due_reminders(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Due>, DbErr> {
    use confirmation::Column as C;
    confirmation::Entity::find()
        .select_only()
        .column(C::SignatureId)
        .column(C::PetitionId)
        .column(C::Locale)
        .column_as(Expr::col((signature::Entity, signature::Column::Email)), "email")
        .column_as(Expr::col((signature::Entity, signature::Column::GivenName)), "given_name")
        .inner_join(signature::Entity)
        .filter(C::RemindedAt.is_null())
        .filter(C::ConfirmedAt.is_null())
        .filter(C::CreatedAt.lte(now - REMIND_AFTER))
        .filter(C::ExpiresAt.gt(now))
        .filter(signature::Column::Status.is_in(WAITING))
        .limit(limit)
        .into_model::<Due>()
        .all(db)
        .await
}

/// Marks a link reminded with a new token's hash, unless it already was (by another process):
/// whether this call did. Run it in the transaction that writes the reminder.
pub async fn claim_reminder(
    db: &impl ConnectionTrait,
    signature_id: i64,
    reminder_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    use confirmation::Column as C;
    // What made it due, again: a link renewed meanwhile, or a signature confirmed, released or
    // removed, is not reminded.
    let done = confirmation::Entity::update_many()
        .col_expr(C::RemindedAt, Expr::value(now))
        .col_expr(C::ReminderHash, Expr::value(reminder_hash))
        .filter(C::SignatureId.eq(signature_id))
        .filter(C::SignatureId.in_subquery(still_waiting(signature_id)))
        .filter(C::RemindedAt.is_null())
        .filter(C::ConfirmedAt.is_null())
        .filter(C::CreatedAt.lte(now - REMIND_AFTER))
        .filter(C::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// How long after a link was sent signing again sends a new one (sooner, the signer is told
/// to look for the one they have: nobody can fill an inbox by signing in its name).
pub const RESEND_AFTER: chrono::Duration = chrono::Duration::minutes(10);

/// What signing again did for a signer whose signature waits for confirmation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Renewed {
    /// A new link (the old ones stop working) and its email, written: the email's id.
    Sent(i64),
    /// A link was sent less than [`RESEND_AFTER`] ago: nothing new.
    Recently,
}

/// The signature of petition `petition_id` by `canonical` if it waits for confirmation
/// (`pending` or `held`).
pub async fn waiting(
    db: &impl ConnectionTrait,
    petition_id: i64,
    canonical: &str,
) -> Result<Option<i64>, DbErr> {
    signature::Entity::find()
        .select_only()
        .column(signature::Column::Id)
        .inner_join(supporter::Entity)
        .filter(signature::Column::PetitionId.eq(petition_id))
        .filter(supporter::Column::EmailCanonical.eq(canonical))
        .filter(signature::Column::Status.is_in(WAITING))
        .into_tuple()
        .one(db)
        .await
}

/// Statuses that wait for a confirmation.
const WAITING: [signature::Status; 2] = [signature::Status::Pending, signature::Status::Held];

/// The signatures among `ids` that still wait, as a subquery.
fn still_waiting(id: i64) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(signature::Column::Id)
        .from(signature::Entity)
        .and_where(signature::Column::Id.eq(id))
        .and_where(signature::Column::Status.is_in(WAITING))
        .to_owned()
}

/// Someone signed again whose signature `signature_id` waits for confirmation ([`waiting`]):
/// if its last link is older than [`RESEND_AFTER`] and it still waits, replaces its link with
/// `token_hash` (in `locale`), good for [`LIFETIME`] again with a reminder of its own, and
/// writes `email`. Run it in a transaction (its first statement writes).
pub async fn renew(
    db: &impl ConnectionTrait,
    signature_id: i64,
    (token_hash, locale, email): (&str, &str, mail::NewEmail),
    now: DateTime<Utc>,
) -> Result<Renewed, DbErr> {
    use confirmation::Column as C;
    let renewed = confirmation::Entity::update_many()
        .col_expr(C::TokenHash, Expr::value(token_hash))
        .col_expr(C::ReminderHash, Expr::value(Option::<String>::None))
        .col_expr(C::Locale, Expr::value(locale))
        .col_expr(C::CreatedAt, Expr::value(now))
        .col_expr(C::ExpiresAt, Expr::value(now + LIFETIME))
        .col_expr(C::RemindedAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(C::SignatureId.eq(signature_id))
        .filter(C::SignatureId.in_subquery(still_waiting(signature_id)))
        .filter(C::ConfirmedAt.is_null())
        .filter(C::CreatedAt.lte(now - RESEND_AFTER))
        .exec(db)
        .await?;
    if renewed.rows_affected == 0 {
        return Ok(Renewed::Recently);
    }
    let ids = mail::enqueue(db, vec![email], now).await?;
    Ok(ids.first().map_or(Renewed::Recently, |&id| Renewed::Sent(id)))
}

/// The links of signatures `ids` stop working (they count now, released by staff): no
/// reminder or new link goes out for them. Run it in the transaction that changed them.
pub async fn expire(db: &impl ConnectionTrait, ids: &[i64], now: DateTime<Utc>) -> Result<(), DbErr> {
    for part in ids.chunks(500) {
        confirmation::Entity::update_many()
            .col_expr(confirmation::Column::ExpiresAt, Expr::value(now))
            .filter(confirmation::Column::SignatureId.is_in(part.iter().copied()))
            .filter(confirmation::Column::ExpiresAt.gt(now))
            .exec(db)
            .await?;
    }
    Ok(())
}
