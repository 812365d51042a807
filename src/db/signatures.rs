//! Signatures and supporters.

use chrono::{DateTime, Utc};
use entity::{petition_tally, signature, supporter};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, TryInsertResult,
    sea_query::{Expr, OnConflict},
};

use crate::domain::SignatureInput;

/// Stores one signature, creating its supporter if the canonical email is new. Returns the
/// signature id, or `None` if this person had already signed this petition (then nothing is
/// changed).
pub async fn insert(
    db: &impl ConnectionTrait,
    petition_id: i64,
    status: signature::Status,
    input: &SignatureInput,
    share_code: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    // The no-op update makes the upsert return the existing row's id on both backends.
    let supporter_id = supporter::Entity::insert(supporter::ActiveModel {
        email_canonical: Set(input.email.canonical()),
        email: Set(input.email.as_str().to_owned()),
        given_name: Set(input.given_name.as_str().to_owned()),
        family_name: Set(input.family_name.as_str().to_owned()),
        postal_code: Set(input.postal_code.as_str().to_owned()),
        phone: Set(input.phone.as_ref().map(|p| p.as_str().to_owned())),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(supporter::Column::EmailCanonical)
            .update_column(supporter::Column::EmailCanonical)
            .to_owned(),
    )
    .exec(db)
    .await?
    .last_insert_id;

    let a = &input.attribution;
    let res = signature::Entity::insert(signature::ActiveModel {
        petition_id: Set(petition_id),
        supporter_id: Set(supporter_id),
        status: Set(status),
        given_name: Set(input.given_name.as_str().to_owned()),
        family_name: Set(input.family_name.as_str().to_owned()),
        email: Set(input.email.as_str().to_owned()),
        postal_code: Set(input.postal_code.as_str().to_owned()),
        phone: Set(input.phone.as_ref().map(|p| p.as_str().to_owned())),
        employer: Set(input.employer.clone()),
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
        share_code: Set(share_code.to_owned()),
        signed_at: Set(now),
        confirmed_at: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([signature::Column::PetitionId, signature::Column::SupporterId])
    .exec(db)
    .await?;
    Ok(match res {
        TryInsertResult::Inserted(r) => Some(r.last_insert_id),
        TryInsertResult::Conflicted | TryInsertResult::Empty => None,
    })
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
