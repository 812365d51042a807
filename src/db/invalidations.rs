//! Staff removing signatures from the count, reversibly, and the signature list they choose
//! them from. An invalidation is an action that remembers each signature it changed and the
//! status it had; restoring the action (or one of its signatures) puts exactly those back.
//! The tally moves in the same transaction, so counts always agree with a recount.

use chrono::{DateTime, Utc};
use entity::{
    petition_tally,
    signature::{self, Status},
    signature_action, signature_change,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, Func, LikeExpr, Query},
};

use super::{
    rollup,
    signatures::add_to_tally,
    webhooks::{self, NewFact},
};

/// Which signatures of a petition an invalidation takes: all that match every criterion given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Criteria {
    /// Signed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Signed before.
    pub until: Option<DateTime<Utc>>,
    pub source: Option<String>,
    pub landing_page: Option<String>,
    pub utm_campaign: Option<String>,
    /// The part of the email after `@` (lower-case).
    pub email_domain: Option<String>,
    /// The keyed hash of the network signatures came from.
    pub network_hash: Option<String>,
    /// One signature.
    pub signature_id: Option<i64>,
}

impl Criteria {
    /// No criterion at all (which would take every signature: refused by the pages).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The criteria in words, for the action's record and the audit log.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(id) = self.signature_id {
            parts.push(format!("signature {id}"));
        }
        let day = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M").to_string();
        match (&self.from, &self.until) {
            (Some(f), Some(u)) => parts.push(format!("signed from {} to before {} UTC", day(f), day(u))),
            (Some(f), None) => parts.push(format!("signed from {} UTC", day(f))),
            (None, Some(u)) => parts.push(format!("signed before {} UTC", day(u))),
            (None, None) => {}
        }
        for (name, value) in [
            ("source", &self.source),
            ("landing page", &self.landing_page),
            ("utm_campaign", &self.utm_campaign),
            ("email domain", &self.email_domain),
            ("network", &self.network_hash),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name} {v}"));
            }
        }
        parts.join(", ")
    }

    /// The signatures of `petition_id` that match, whatever their status.
    fn condition(&self, petition_id: i64) -> Condition {
        let mut c = Condition::all().add(signature::Column::PetitionId.eq(petition_id));
        if let Some(id) = self.signature_id {
            c = c.add(signature::Column::Id.eq(id));
        }
        if let Some(t) = self.from {
            c = c.add(signature::Column::SignedAt.gte(t));
        }
        if let Some(t) = self.until {
            c = c.add(signature::Column::SignedAt.lt(t));
        }
        for (column, value) in [
            (signature::Column::Source, &self.source),
            (signature::Column::LandingPage, &self.landing_page),
            (signature::Column::UtmCampaign, &self.utm_campaign),
            (signature::Column::NetworkHash, &self.network_hash),
        ] {
            if let Some(v) = value {
                c = c.add(column.eq(v.as_str()));
            }
        }
        if let Some(domain) = &self.email_domain {
            let pattern = format!("%@{}", escape_like(&domain.to_lowercase()));
            c = c.add(
                Expr::expr(Func::lower(Expr::col(signature::Column::Email)))
                    .like(LikeExpr::new(pattern).escape('\\')),
            );
        }
        c
    }
}

/// Statuses an invalidation takes: counted, or waiting to be.
const TAKEN: [Status; 3] = [Status::Validated, Status::Pending, Status::Held];

/// How many signatures criteria match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Matches {
    /// Signatures an invalidation would take (counted, pending or held).
    pub taken: u64,
    /// Of them, those in the count now.
    pub counted: u64,
}

/// What an invalidation would take, without taking it.
pub async fn preview(
    db: &impl ConnectionTrait,
    petition_id: i64,
    criteria: &Criteria,
) -> Result<Matches, DbErr> {
    let matching = || signature::Entity::find().filter(criteria.condition(petition_id));
    let taken = matching().filter(signature::Column::Status.is_in(TAKEN)).count(db).await?;
    let counted = matching().filter(signature::Column::Status.eq(Status::Validated)).count(db).await?;
    Ok(Matches { taken, counted })
}

/// The first signatures an invalidation would take, newest first.
pub async fn sample(
    db: &impl ConnectionTrait,
    petition_id: i64,
    criteria: &Criteria,
    limit: u64,
) -> Result<Vec<signature::Model>, DbErr> {
    sample_of(db, petition_id, criteria, &TAKEN, limit).await
}

/// The newest held signatures that match, at most `limit`.
pub async fn sample_held(
    db: &impl ConnectionTrait,
    petition_id: i64,
    criteria: &Criteria,
    limit: u64,
) -> Result<Vec<signature::Model>, DbErr> {
    sample_of(db, petition_id, criteria, &[Status::Held], limit).await
}

/// The newest signatures that match and have one of `statuses`, at most `limit`.
async fn sample_of(
    db: &impl ConnectionTrait,
    petition_id: i64,
    criteria: &Criteria,
    statuses: &[Status],
    limit: u64,
) -> Result<Vec<signature::Model>, DbErr> {
    signature::Entity::find()
        .filter(criteria.condition(petition_id))
        .filter(signature::Column::Status.is_in(statuses.iter().copied()))
        .order_by_desc(signature::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// An invalidation as staff asked for it.
#[derive(Clone, Debug)]
pub struct Invalidation<'a> {
    pub criteria: &'a Criteria,
    pub reason: &'a str,
    pub staff_id: Option<i64>,
    pub actor: &'a str,
}

/// What an invalidation or a restore did: its action, the signatures changed, and the tally
/// after it when the count moved.
#[derive(Clone, Debug)]
pub struct Done {
    pub action_id: i64,
    pub changed: u64,
    pub tally: Option<petition_tally::Model>,
}

/// Invalidates every counted or pending signature that matches, remembering each one's status.
/// Run it in a transaction.
pub async fn invalidate(
    db: &impl ConnectionTrait,
    petition_id: i64,
    inv: &Invalidation<'_>,
    now: DateTime<Utc>,
) -> Result<Done, DbErr> {
    let action = signature_action::Entity::insert(signature_action::ActiveModel {
        petition_id: Set(petition_id),
        criteria: Set(inv.criteria.describe()),
        reason: Set(inv.reason.to_owned()),
        changed: Set(0),
        staff_id: Set(inv.staff_id),
        actor: Set(inv.actor.to_owned()),
        at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?
    .last_insert_id;
    // Each status in turn, the rows remembered being exactly those the update changed (read
    // back from it), so two invalidations at once never both claim one signature.
    let backend = db.get_database_backend();
    let mut changed = 0;
    let mut uncounted = 0;
    let mut uncounted_ids: Vec<i64> = Vec::new();
    for from in TAKEN {
        let update = Query::update()
            .table(signature::Entity)
            .value(signature::Column::Status, Expr::value(Status::Invalidated))
            .value(signature::Column::ChangedAt, Expr::value(changed_at(now)))
            .cond_where(inv.criteria.condition(petition_id).add(signature::Column::Status.eq(from)))
            .returning_col(signature::Column::Id)
            .to_owned();
        let ids = db
            .query_all_raw(backend.build(&update))
            .await?
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        for part in ids.chunks(1000) {
            let mut remember = Query::insert()
                .into_table(signature_change::Entity)
                .columns([
                    signature_change::Column::ActionId,
                    signature_change::Column::SignatureId,
                    signature_change::Column::FromStatus,
                ])
                .to_owned();
            for id in part {
                remember
                    .values([Expr::val(action), Expr::val(*id), Expr::value(from)])
                    .map_err(|e| DbErr::Custom(e.to_string()))?;
            }
            db.execute_raw(backend.build(&remember)).await?;
        }
        let n = ids.len() as u64;
        changed += n;
        if from == Status::Validated {
            uncounted = n;
            uncounted_ids = ids;
        }
    }
    signature_action::Entity::update_many()
        .col_expr(signature_action::Column::Changed, Expr::value(i64::try_from(changed).unwrap_or(i64::MAX)))
        .filter(signature_action::Column::Id.eq(action))
        .exec(db)
        .await?;
    // The tally first, then the aggregates: the writer takes them in that order too.
    let tally = move_tally(db, petition_id, -i64::try_from(uncounted).unwrap_or(i64::MAX), now).await?;
    rollup::apply(db, &uncounted_ids, -1).await?;
    Ok(Done { action_id: action, changed, tally })
}

/// A signature's change time as both databases keep it (to the microsecond), so that what the
/// API's cursor carries compares equal to what is stored.
pub(crate) fn changed_at(now: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    now.trunc_subsecs(6)
}

/// The signatures an action changed from status `from`.
fn changes_of(action: i64, from: Status) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(signature_change::Column::SignatureId)
        .from(signature_change::Entity)
        .and_where(Expr::col(signature_change::Column::ActionId).eq(action))
        .and_where(Expr::col(signature_change::Column::FromStatus).eq(from))
        .to_owned()
}

async fn move_tally(
    db: &impl ConnectionTrait,
    petition_id: i64,
    delta: i64,
    now: DateTime<Utc>,
) -> Result<Option<petition_tally::Model>, DbErr> {
    if delta == 0 {
        return Ok(None);
    }
    add_to_tally(db, petition_id, delta, now).await.map(Some)
}

/// Restores what an action invalidated: each signature still invalidated and not taken again
/// by a later action gets back the status it had. `None` if the action is not this
/// petition's, or was restored already. Run it in a transaction.
pub async fn restore_action(
    db: &impl ConnectionTrait,
    petition_id: i64,
    action_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Option<Done>, DbErr> {
    let marked = signature_action::Entity::update_many()
        .col_expr(signature_action::Column::RestoredAt, Expr::value(now))
        .col_expr(signature_action::Column::RestoredBy, Expr::value(actor))
        .filter(signature_action::Column::Id.eq(action_id))
        .filter(signature_action::Column::PetitionId.eq(petition_id))
        .filter(signature_action::Column::RestoredAt.is_null())
        .exec(db)
        .await?;
    if marked.rows_affected == 0 {
        return Ok(None);
    }
    let later = Query::select()
        .column(signature_change::Column::SignatureId)
        .from(signature_change::Entity)
        .and_where(Expr::col(signature_change::Column::ActionId).gt(action_id))
        .to_owned();
    let mut changed = 0;
    let mut recounted = 0;
    let mut recounted_ids: Vec<i64> = Vec::new();
    let backend = db.get_database_backend();
    for to in TAKEN {
        let update = Query::update()
            .table(signature::Entity)
            .value(signature::Column::Status, Expr::value(to))
            .value(signature::Column::ChangedAt, Expr::value(changed_at(now)))
            .and_where(signature::Column::Status.eq(Status::Invalidated))
            .and_where(signature::Column::Id.in_subquery(changes_of(action_id, to)))
            .and_where(signature::Column::Id.not_in_subquery(later.clone()))
            .returning_col(signature::Column::Id)
            .to_owned();
        let ids = db
            .query_all_raw(backend.build(&update))
            .await?
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        changed += ids.len() as u64;
        if to == Status::Validated {
            recounted = ids.len() as u64;
            recounted_ids = ids;
        }
    }
    let tally = move_tally(db, petition_id, i64::try_from(recounted).unwrap_or(i64::MAX), now).await?;
    rollup::apply(db, &recounted_ids, 1).await?;
    Ok(Some(Done { action_id, changed, tally }))
}

/// Restores one invalidated signature to the status it had before its latest invalidation.
/// `None` if it is not this petition's or not invalidated by staff. Run it in a transaction.
pub async fn restore_one(
    db: &impl ConnectionTrait,
    petition_id: i64,
    signature_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<Done>, DbErr> {
    let Some(latest) = signature_change::Entity::find()
        .filter(signature_change::Column::SignatureId.eq(signature_id))
        .order_by_desc(signature_change::Column::ActionId)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let res = signature::Entity::update_many()
        .col_expr(signature::Column::Status, Expr::value(latest.from_status))
        .col_expr(signature::Column::ChangedAt, Expr::value(changed_at(now)))
        .filter(signature::Column::Id.eq(signature_id))
        .filter(signature::Column::PetitionId.eq(petition_id))
        .filter(signature::Column::Status.eq(Status::Invalidated))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Ok(None);
    }
    let delta = i64::from(latest.from_status == Status::Validated);
    let tally = move_tally(db, petition_id, delta, now).await?;
    if delta != 0 {
        rollup::apply(db, &[signature_id], delta).await?;
    }
    Ok(Some(Done { action_id: latest.action_id, changed: 1, tally }))
}

/// A petition's invalidations, newest first.
pub async fn actions(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<signature_action::Model>, DbErr> {
    signature_action::Entity::find()
        .filter(signature_action::Column::PetitionId.eq(petition_id))
        .order_by_desc(signature_action::Column::Id)
        .all(db)
        .await
}

/// Which signatures the list shows.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Each word must be in the email, the given name or the family name (any case).
    pub words: Vec<String>,
    pub status: Option<Status>,
}

/// A page of a petition's signatures, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    petition_id: i64,
    filter: &ListFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<signature::Model>, DbErr> {
    let mut q = signature::Entity::find().filter(signature::Column::PetitionId.eq(petition_id));
    if let Some(status) = filter.status {
        q = q.filter(signature::Column::Status.eq(status));
    }
    for word in &filter.words {
        // SQLite's `lower` folds ASCII letters only, PostgreSQL's every letter: a word is looked
        // for folded both ways, so that typing a name as it is written finds it on both.
        let mut any = Condition::any();
        for folded in [word.to_lowercase(), word.to_ascii_lowercase()] {
            let pattern = format!("%{}%", escape_like(&folded));
            for column in
                [signature::Column::Email, signature::Column::GivenName, signature::Column::FamilyName]
            {
                any = any.add(
                    Expr::expr(Func::lower(Expr::col(column)))
                        .like(LikeExpr::new(pattern.clone()).escape('\\')),
                );
            }
        }
        q = q.filter(any);
    }
    q.order_by_desc(signature::Column::Id).offset(offset).limit(limit).all(db).await
}

/// `%`, `_` and `\` match themselves.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Held signatures of a petition that match `criteria` (every held one without criteria).
pub async fn held(db: &impl ConnectionTrait, petition_id: i64, criteria: &Criteria) -> Result<u64, DbErr> {
    signature::Entity::find()
        .filter(criteria.condition(petition_id))
        .filter(signature::Column::Status.eq(Status::Held))
        .count(db)
        .await
}

/// Counts the held signatures that match (staff vouch for them: a hospital's break room, say):
/// they become `validated` with the tally, the aggregates and a `signature.created` webhook
/// each, as if counted when made. Run it in a transaction.
pub async fn release(
    db: &impl ConnectionTrait,
    petition_id: i64,
    criteria: &Criteria,
    now: DateTime<Utc>,
) -> Result<Done, DbErr> {
    let backend = db.get_database_backend();
    let update = Query::update()
        .table(signature::Entity)
        .value(signature::Column::Status, Expr::value(Status::Validated))
        .value(signature::Column::ChangedAt, Expr::value(changed_at(now)))
        .cond_where(criteria.condition(petition_id).add(signature::Column::Status.eq(Status::Held)))
        .returning_col(signature::Column::Id)
        .to_owned();
    let mut ids = db
        .query_all_raw(backend.build(&update))
        .await?
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort_unstable();
    let n = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let mut tally = move_tally(db, petition_id, n, now).await?;
    rollup::apply(db, &ids, 1).await?;
    if tally.is_some() {
        // The same people entered on paper stop counting: each counts once, online.
        if super::paper::settle_counted(db, petition_id, &ids, now).await? > 0 {
            tally = Some(add_to_tally(db, petition_id, 0, now).await?);
        }
        super::confirmations::expire(db, &ids, now).await?;
    }
    if let Some(t) = &tally {
        // Each one announced with the count it brought the petition to, the last with the
        // count as committed.
        let first = t.validated - n;
        let facts: Vec<NewFact> =
            ids.iter().zip(1..).map(|(&id, i)| NewFact(id, petition_id, first + i)).collect();
        webhooks::enqueue_signatures(db, &facts, now).await?;
    }
    Ok(Done { action_id: 0, changed: ids.len() as u64, tally })
}
