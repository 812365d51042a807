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

use chrono::{DateTime, Months, Utc};
use entity::{confirmation, delivery, email, petition, setting, signature, supporter};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait, UpdateMany,
    sea_query::{Alias, Expr, Query},
};

use super::staff::{self, Audit};
use crate::domain::{email::Email, fields::postal_region};

/// The emails written to signers (their address, and what they signed).
const SIGNER_EMAILS: [&str; 2] = [crate::confirm::CONFIRM, crate::confirm::REMINDER];

/// A signature of `supporters.id` on a petition whose signers are kept. Petition by petition,
/// so that it is looked up in the (petition, supporter) index: there is none by supporter alone.
const KEPT_SIGNATURE: &str = "SELECT 1 FROM signatures s WHERE s.supporter_id = supporters.id \
     AND s.petition_id IN (SELECT id FROM petitions WHERE anonymised_at IS NULL)";

/// Every petition, for the (petition, supporter) index when looking for one supporter's
/// signatures.
const ANY_PETITION: &str = "signatures.petition_id IN (SELECT id FROM petitions)";

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
    // Links first: confirming takes a link's row, then its signature's, and so does this.
    confirmation::Entity::delete_many().filter(confirmation::Column::PetitionId.eq(id)).exec(&txn).await?;
    regions_for_codes(&txn, id, &country).await?;
    let signatures = cleared(signature::Entity::update_many())
        .filter(signature::Column::PetitionId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    let emails = email::Entity::delete_many()
        .filter(email::Column::PetitionId.eq(id))
        .filter(email::Column::Kind.is_in(SIGNER_EMAILS))
        .exec(&txn)
        .await?
        .rows_affected;
    // Its signers who signed nothing else still kept. On PostgreSQL their rows are taken
    // first, so that the emptying statement (a later snapshot) sees every signature committed
    // until then, and a signer signing meanwhile waits and then becomes a new supporter.
    let signers = format!("supporters.id IN (SELECT supporter_id FROM signatures WHERE petition_id = {id})");
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT id FROM supporters WHERE {signers} ORDER BY email_canonical FOR UPDATE"
        ))
        .await?;
    }
    let supporters = emptied(supporter::Entity::update_many())
        .filter(Expr::cust(format!("{signers} AND NOT EXISTS ({KEPT_SIGNATURE})")))
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
    for part in super::signatures::in_parts(changes) {
        let mut insert = Query::insert();
        insert.into_table(Alias::new("retired_codes")).columns([Alias::new("code"), Alias::new("region")]);
        for (code, region) in part {
            insert.values_panic([code.into(), region.into()]);
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
        .col_expr(S::EmailDomain, none())
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
    /// The deliveries whose signer list names them (they agreed to be named): (public id,
    /// petition title, cut-off). Those lists were delivered as they are and stay so.
    pub named_in: Vec<(String, String, DateTime<Utc>)>,
}

/// The supporter whose canonical address is `canonical`, with their signatures and the
/// deliveries that name them.
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
    type Row = (i64, i64, String, signature::Status, DateTime<Utc>, bool);
    let rows: Vec<Row> = signature::Entity::find()
        .select_only()
        .columns([signature::Column::Id, signature::Column::PetitionId])
        .column(petition::Column::Title)
        .columns([signature::Column::Status, signature::Column::SignedAt, signature::Column::PublicName])
        .inner_join(petition::Entity)
        .filter(Expr::cust(ANY_PETITION))
        .filter(signature::Column::SupporterId.eq(supporter_id))
        .order_by_asc(signature::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut named_in = Vec::new();
    let named: Vec<&Row> = rows.iter().filter(|r| r.5 && r.3 == signature::Status::Validated).collect();
    if !named.is_empty() {
        let key = setting::Entity::find_by_id(super::settings::DELIVERY_KEY).one(db).await?.map(|s| s.value);
        let deliveries = delivery::Entity::find()
            .filter(delivery::Column::PetitionId.is_in(named.iter().map(|r| r.1)))
            .order_by_asc(delivery::Column::Id)
            .all(db)
            .await?;
        for d in deliveries {
            let Some(key) = &key else { break };
            let listed = named
                .iter()
                .any(|r| names(&d.signers_csv, &crate::domain::delivery::reference(key.as_bytes(), r.0)));
            if listed {
                let title =
                    rows.iter().find(|r| r.1 == d.petition_id).map(|r| r.2.clone()).unwrap_or_default();
                named_in.push((d.public_id, title, d.cutoff));
            }
        }
    }
    let signatures = rows.into_iter().map(|(_, _, title, status, at, _)| (title, status, at)).collect();
    Ok(Some(Found { supporter_id, signatures, named_in }))
}

/// Whether signer list `list` shows more than the hour and region on `reference`'s line: a
/// name, or another column of those who agreed to be named.
fn names(list: &str, reference: &str) -> bool {
    list.lines()
        .find(|l| l.strip_prefix(reference).is_some_and(|rest| rest.starts_with(',')))
        .and_then(|l| l.splitn(4, ',').nth(3))
        .is_some_and(|named| !named.trim_matches(',').is_empty())
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
    // Their row first, with a write: a signature of theirs committed before this is read below
    // (a later snapshot); one signed after waits, and then makes a new supporter. On SQLite the
    // transaction takes the write lock before it reads.
    let taken = supporter::Entity::update_many()
        .col_expr(supporter::Column::Id, Expr::col(supporter::Column::Id))
        .filter(supporter::Column::Id.eq(id))
        .filter(supporter::Column::EmailCanonical.not_like("anonymised:%"))
        .exec(&txn)
        .await?;
    let Some(person) =
        supporter::Entity::find_by_id(id).one(&txn).await?.filter(|_| taken.rows_affected == 1)
    else {
        return Ok(None);
    };
    let rows: Vec<(i64, i64, String, String)> = signature::Entity::find()
        .select_only()
        .columns([signature::Column::Id, signature::Column::PetitionId, signature::Column::PostalCode])
        .column(petition::Column::PostalCountry)
        .inner_join(petition::Entity)
        .filter(Expr::cust(ANY_PETITION))
        .filter(signature::Column::SupporterId.eq(id))
        .into_tuple()
        .all(&txn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    // Links first, as confirming takes them.
    confirmation::Entity::delete_many()
        .filter(confirmation::Column::SignatureId.is_in(ids))
        .exec(&txn)
        .await?;
    for (signature_id, _, code, country) in &rows {
        cleared(signature::Entity::update_many())
            .col_expr(signature::Column::PostalCode, Expr::value(postal_region(code, country)))
            .filter(signature::Column::Id.eq(*signature_id))
            .exec(&txn)
            .await?;
    }
    // The links emailed to them, however they typed their address each time.
    let written: Vec<(i64, String)> = email::Entity::find()
        .select_only()
        .columns([email::Column::Id, email::Column::ToAddress])
        .filter(email::Column::Kind.is_in(SIGNER_EMAILS))
        .filter(email::Column::PetitionId.is_in(rows.iter().map(|r| r.1)))
        .into_tuple()
        .all(&txn)
        .await?;
    let theirs = written.into_iter().filter_map(|(email_id, to)| {
        let same = to.eq_ignore_ascii_case(&person.email)
            || Email::parse(&to).is_ok_and(|e| e.canonical() == person.email_canonical);
        same.then_some(email_id)
    });
    let emails =
        email::Entity::delete_many().filter(email::Column::Id.is_in(theirs)).exec(&txn).await?.rows_affected;
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
    let mut failed = None;
    for (id, slug) in due(db, closed_by).await? {
        match petition(db, id, closed_by, now).await {
            Ok(Some(changed)) => {
                tracing::info!(petition = %slug, signatures = changed.signatures, "signer data anonymised");
                done.push((slug, changed));
            }
            Ok(None) => {}
            // The others are still done; this one is tried again next time.
            Err(e) => {
                tracing::warn!(petition = %slug, error = %crate::error::chain(&e), "anonymising a petition's signers failed");
                failed = Some(e);
            }
        }
    }
    match failed {
        Some(e) if done.is_empty() => Err(e),
        _ => Ok(done),
    }
}
