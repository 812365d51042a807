//! One-click unsubscribing from update emails: finding the email a link came in, and stopping
//! that kind of update about that petition for its address.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{email, unsubscribe};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::mail;
use crate::mail::GOAL_REACHED;

/// The update email whose link carries `token`: kept as it is until the email is sent, and
/// then as its hash. A hash (64 hex digits; a token is 43 letters and digits) is only ever
/// hashed to be looked up, so a stored hash opens nothing as a link.
pub async fn email_of(db: &impl ConnectionTrait, token: &str) -> Result<Option<email::Model>, DbErr> {
    let hash = crate::domain::staff::token_id(token);
    let kept = if token.len() == hash.len() { vec![hash] } else { vec![token.to_owned(), hash] };
    email::Entity::find().filter(email::Column::UnsubscribeToken.is_in(kept)).one(db).await
}

/// Whether `e`'s address still gets updates of its kind about its petition.
pub async fn subscribed(db: &impl ConnectionTrait, e: &email::Model) -> Result<bool, DbErr> {
    let Some(petition_id) = e.petition_id else { return Ok(false) };
    let address = e.to_address.to_lowercase();
    if e.kind == GOAL_REACHED {
        return match super::staff::by_email(db, &address).await? {
            Some(s) => mail::has_alert(db, petition_id, s.id).await,
            None => Ok(false),
        };
    }
    Ok(unsubscribe::Entity::find_by_id((e.kind.clone(), petition_id, address)).one(db).await?.is_none())
}

/// Stops `e`'s kind of update about its petition for its address: a staff member's goal emails
/// are turned off (as on the dashboard); a recipient's daily updates stop.
pub async fn stop(db: &impl ConnectionTrait, e: &email::Model, now: DateTime<Utc>) -> Result<(), DbErr> {
    let Some(petition_id) = e.petition_id else { return Ok(()) };
    let address = e.to_address.to_lowercase();
    if e.kind == GOAL_REACHED {
        if let Some(s) = super::staff::by_email(db, &address).await? {
            mail::set_alert(db, petition_id, s.id, false, now).await?;
        }
        return Ok(());
    }
    unsubscribe::Entity::insert(unsubscribe::ActiveModel {
        kind: sea_orm::Set(e.kind.clone()),
        petition_id: sea_orm::Set(petition_id),
        address: sea_orm::Set(address),
        created_at: sea_orm::Set(now),
    })
    .on_conflict_do_nothing_on([
        unsubscribe::Column::Kind,
        unsubscribe::Column::PetitionId,
        unsubscribe::Column::Address,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The addresses (lower case) that stopped `kind` about `petition_id`.
pub async fn stopped(
    db: &impl ConnectionTrait,
    kind: &str,
    petition_id: i64,
) -> Result<HashSet<String>, DbErr> {
    let rows: Vec<String> = unsubscribe::Entity::find()
        .select_only()
        .column(unsubscribe::Column::Address)
        .filter(unsubscribe::Column::Kind.eq(kind))
        .filter(unsubscribe::Column::PetitionId.eq(petition_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}
