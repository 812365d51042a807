//! Anonymising signers: every signer of a petition `RETENTION_MONTHS` after it closed, and one
//! supporter, everywhere, when they ask to be deleted.
//!
//! What identifies a person goes: names, email address, phone, employer, job title, comment,
//! the network hash, the consent to updates and to be named, the emails written to them and
//! their confirmation links. The postal code becomes its region (`941` of `94110`). What the
//! counts are made of stays: each signature's status, when it was signed and confirmed, its
//! attribution (landing page, source, referrer, `utm_*`, share codes) and worksite. So the
//! tally, a recount, the aggregates (which can be made again from the rows) and every delivery
//! (its signer list and digest were frozen when it was made) are what they were.
//!
//! A supporter row stays, emptied, while signatures point at it: its address becomes
//! `anonymised:{id}`, which no address typed into a form can be.

use std::collections::BTreeSet;

use chrono::{DateTime, Months, Utc};
use entity::{confirmation, email, petition, signature, supporter};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait, UpdateMany,
    sea_query::{Alias, Expr, Query},
};

use super::staff::{self, Audit};
use crate::domain::fields::postal_region;

/// The emails written to signers (their address, and what they signed).
const SIGNER_EMAILS: [&str; 2] = [crate::confirm::CONFIRM, crate::confirm::REMINDER];

/// Postal codes made regions in one statement at most.
const CODES_PER_INSERT: usize = 300;

/// What anonymising changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anonymised {
    pub signatures: u64,
    pub supporters: u64,
    pub emails: u64,
}

/// When petitions closed at or before this are due, `months` before `now`.
pub fn cutoff(now: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    now.checked_sub_months(Months::new(months)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The petitions (id, slug) closed at or before `closed_by` whose signers are not anonymised yet.
pub async fn due(db: &impl ConnectionTrait, closed_by: DateTime<Utc>) -> Result<Vec<(i64, String)>, DbErr> {
    petition::Entity::find()
        .select_only()
        .columns([petition::Column::Id, petition::Column::Slug])
        .filter(petition::Column::Status.eq(petition::Status::Closed))
        .filter(petition::Column::ClosedAt.lte(closed_by))
        .filter(petition::Column::AnonymisedAt.is_null())
        .order_by_asc(petition::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Anonymises every signer of petition `id` if it is still due (closed at or before
/// `closed_by`, not reopened, not done yet), in one transaction that claims it first: of two
/// processes that try at once, one does it and the other gets `None`.
pub async fn petition(
    db: &DatabaseConnection,
    id: i64,
    closed_by: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Anonymised>, DbErr> {
    let txn = db.begin().await?;
    let claimed = petition::Entity::update_many()
        .col_expr(petition::Column::AnonymisedAt, Expr::value(now))
        .filter(petition::Column::Id.eq(id))
        .filter(petition::Column::Status.eq(petition::Status::Closed))
        .filter(petition::Column::ClosedAt.lte(closed_by))
        .filter(petition::Column::AnonymisedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    let country: String = petition::Entity::find_by_id(id)
        .select_only()
        .column(petition::Column::PostalCountry)
        .into_tuple()
        .one(&txn)
        .await?
        .unwrap_or_default();
    regions_for_codes(&txn, id, &country).await?;
    let signatures = cleared(signature::Entity::update_many())
        .filter(signature::Column::PetitionId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    confirmation::Entity::delete_many().filter(confirmation::Column::PetitionId.eq(id)).exec(&txn).await?;
    let emails = email::Entity::delete_many()
        .filter(email::Column::PetitionId.eq(id))
        .filter(email::Column::Kind.is_in(SIGNER_EMAILS))
        .exec(&txn)
        .await?
        .rows_affected;
    // Its signers who signed nothing else still kept.
    let supporters = emptied(supporter::Entity::update_many())
        .filter(Expr::cust(format!(
            "supporters.id IN (SELECT supporter_id FROM signatures WHERE petition_id = {id}) \
             AND NOT EXISTS (SELECT 1 FROM signatures s JOIN petitions p ON p.id = s.petition_id \
             WHERE s.supporter_id = supporters.id AND p.anonymised_at IS NULL)"
        )))
        .filter(supporter::Column::EmailCanonical.not_like("anonymised:%"))
        .exec(&txn)
        .await?
        .rows_affected;
    let done = Anonymised { signatures, supporters, emails };
    staff::audit(
        &txn,
        Audit {
            staff_id: None,
            actor: "retention",
            action: "petition.anonymised",
            subject: Some(format!("petition:{id}")),
            detail: Some(format!(
                "{} signatures, {} supporters, {} emails",
                done.signatures, done.supporters, done.emails
            )),
            ip_hash: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(done))
}

/// Makes every postal code of petition `id` its region, in one statement: the codes and their
/// regions (worked out here, by the rule the aggregates use) go into a temporary table first.
async fn regions_for_codes(db: &impl ConnectionTrait, id: i64, country: &str) -> Result<(), DbErr> {
    let codes: Vec<String> = signature::Entity::find()
        .select_only()
        .column(signature::Column::PostalCode)
        .distinct()
        .filter(signature::Column::PetitionId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    let changes: Vec<(String, String)> = codes
        .into_iter()
        .filter_map(|code| {
            let region = postal_region(&code, country);
            (region != code).then_some((code, region))
        })
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    db.execute_unprepared(
        "CREATE TEMPORARY TABLE retired_codes (code TEXT PRIMARY KEY, region TEXT NOT NULL)",
    )
    .await?;
    for part in changes.chunks(CODES_PER_INSERT) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("retired_codes")).columns([Alias::new("code"), Alias::new("region")]);
        for (code, region) in part {
            insert.values_panic([code.as_str().into(), region.as_str().into()]);
        }
        db.execute_raw(backend.build(&insert)).await?;
    }
    db.execute_unprepared(&format!(
        "UPDATE signatures SET postal_code = \
         (SELECT region FROM retired_codes WHERE retired_codes.code = signatures.postal_code) \
         WHERE petition_id = {id} AND postal_code IN (SELECT code FROM retired_codes)"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE retired_codes").await?;
    Ok(())
}

/// A signature's personal data, set to nothing.
fn cleared(q: UpdateMany<signature::Entity>) -> UpdateMany<signature::Entity> {
    use signature::Column as S;
    let none = || Expr::value(Option::<String>::None);
    q.col_expr(S::GivenName, Expr::value(""))
        .col_expr(S::FamilyName, Expr::value(""))
        .col_expr(S::Email, Expr::value(""))
        .col_expr(S::Phone, none())
        .col_expr(S::Employer, none())
        .col_expr(S::JobTitle, none())
        .col_expr(S::Comment, none())
        .col_expr(S::NetworkHash, none())
        .col_expr(S::EmailOptIn, Expr::value(false))
        .col_expr(S::PublicName, Expr::value(false))
}

/// A supporter's personal data, set to nothing; its address becomes `anonymised:{id}`.
fn emptied(q: UpdateMany<supporter::Entity>) -> UpdateMany<supporter::Entity> {
    use supporter::Column as P;
    q.col_expr(P::EmailCanonical, Expr::cust("'anonymised:' || CAST(supporters.id AS TEXT)"))
        .col_expr(P::Email, Expr::value(""))
        .col_expr(P::GivenName, Expr::value(""))
        .col_expr(P::FamilyName, Expr::value(""))
        .col_expr(P::PostalCode, Expr::value(""))
        .col_expr(P::Phone, Expr::value(Option::<String>::None))
}

/// A supporter found by their address, with what they signed, before deleting them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub supporter_id: i64,
    /// (petition title, signature status, signed at), oldest first.
    pub signatures: Vec<(String, signature::Status, DateTime<Utc>)>,
}

/// The supporter whose canonical address is `canonical`, with their signatures.
pub async fn find(db: &impl ConnectionTrait, canonical: &str) -> Result<Option<Found>, DbErr> {
    let Some(supporter_id) = supporter::Entity::find()
        .select_only()
        .column(supporter::Column::Id)
        .filter(supporter::Column::EmailCanonical.eq(canonical))
        .into_tuple::<i64>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let signatures = signature::Entity::find()
        .select_only()
        .column(petition::Column::Title)
        .columns([signature::Column::Status, signature::Column::SignedAt])
        .inner_join(petition::Entity)
        .filter(signature::Column::SupporterId.eq(supporter_id))
        .order_by_asc(signature::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(Some(Found { supporter_id, signatures }))
}

/// Deletes supporter `id`'s personal data everywhere (their signatures stay, anonymised, and
/// count as before), at their request; `by` is the staff member's audit line. Returns `None` if
/// there is no such supporter or they were deleted already.
pub async fn erase_supporter(
    db: &DatabaseConnection,
    id: i64,
    by: Audit<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Anonymised>, DbErr> {
    let txn = db.begin().await?;
    let Some(person) = supporter::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(None);
    };
    if person.email_canonical.starts_with("anonymised:") {
        return Ok(None);
    }
    let rows: Vec<(i64, String, String, String)> = signature::Entity::find()
        .select_only()
        .columns([signature::Column::Id, signature::Column::Email, signature::Column::PostalCode])
        .column(petition::Column::PostalCountry)
        .inner_join(petition::Entity)
        .filter(signature::Column::SupporterId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let mut addresses = BTreeSet::from([person.email.clone()]);
    for (signature_id, address, code, country) in &rows {
        addresses.insert(address.clone());
        cleared(signature::Entity::update_many())
            .col_expr(signature::Column::PostalCode, Expr::value(postal_region(code, country)))
            .filter(signature::Column::Id.eq(*signature_id))
            .exec(&txn)
            .await?;
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    confirmation::Entity::delete_many()
        .filter(confirmation::Column::SignatureId.is_in(ids))
        .exec(&txn)
        .await?;
    let emails = email::Entity::delete_many()
        .filter(email::Column::Kind.is_in(SIGNER_EMAILS))
        .filter(email::Column::ToAddress.is_in(addresses.into_iter().filter(|a| !a.is_empty())))
        .exec(&txn)
        .await?
        .rows_affected;
    let supporters = emptied(supporter::Entity::update_many())
        .filter(supporter::Column::Id.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    let done = Anonymised { signatures: rows.len() as u64, supporters, emails };
    let detail = format!("{} signatures, {} emails", done.signatures, done.emails);
    staff::audit(&txn, Audit { subject: Some(format!("supporter:{id}")), detail: Some(detail), ..by }, now)
        .await?;
    txn.commit().await?;
    Ok(Some(done))
}

/// Anonymises the signers of every petition that closed `months` or more before `now`;
/// returns the slug of each one done and what changed.
pub async fn run(
    db: &DatabaseConnection,
    months: u32,
    now: DateTime<Utc>,
) -> Result<Vec<(String, Anonymised)>, DbErr> {
    let closed_by = cutoff(now, months);
    let mut done = Vec::new();
    for (id, slug) in due(db, closed_by).await? {
        if let Some(changed) = petition(db, id, closed_by, now).await? {
            tracing::info!(petition = %slug, signatures = changed.signatures, "signer data anonymised");
            done.push((slug, changed));
        }
    }
    Ok(done)
}
