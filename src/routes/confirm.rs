//! `GET /confirm/{token}` shows a button; `POST /confirm/{token}` confirms. Link scanners in
//! mail systems open every link in an email: opening one here changes nothing.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::Utc;
use sea_orm::TransactionTrait;

use super::visitor::Visitor;
use crate::{
    db::{
        confirmations::{self, Confirmed, State as LinkState},
        petitions,
    },
    domain::{
        ShareCode,
        staff::{could_be_token, token_id},
    },
    error::AppResult,
    i18n::Locale,
    state::AppState,
    views::confirm::{ConfirmView, confirm_page},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/confirm/{token}", get(show).post(confirm))
}

/// The link's hash, if the token could be one of ours.
fn hash_of(token: &str) -> Option<String> {
    could_be_token(token).then(|| token_id(token))
}

/// `GET /confirm/{token}`: the button, or why the link does not work.
async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    visitor: Visitor,
) -> AppResult<Response> {
    let now = Utc::now();
    let link = match hash_of(&token) {
        Some(hash) => confirmations::find(&state.db.read, &hash).await?,
        None => None,
    };
    let link_locale = link.as_ref().map_or(Locale::En, |l| Locale::parse(&l.locale));
    let locale = visitor.campaign_locale(link_locale);
    let action = format!("/confirm/{token}");
    let page = page_for(&state, LinkState::of(link.as_ref(), now), locale, &action).await?;
    Ok((visitor, page).into_response())
}

/// `POST /confirm/{token}`: counts the signature, then the thanks page with the signer's share
/// link; or why the link does not work.
async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    mut visitor: Visitor,
) -> AppResult<Response> {
    let now = Utc::now();
    let Some(hash) = hash_of(&token) else {
        let page = page_for(&state, LinkState::Unknown, visitor.campaign_locale(Locale::En), "").await?;
        return Ok((visitor, page).into_response());
    };
    let action = format!("/confirm/{token}");
    let txn = state.db.write.begin().await?;
    let done = confirmations::confirm(&txn, &hash, now).await?;
    txn.commit().await?;
    match done {
        Confirmed::Done { petition_id, share_code, tally } => {
            if let Some(tally) = tally {
                state.counts.record(petition_id, tally);
                state.counters.confirmed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Its `signature.created` and `signature.confirmed` deliveries.
                state.hooks_wake.notify_one();
            }
            tracing::info!(petition_id, counted = tally.is_some(), "signature confirmed");
            let Some(rec) = petitions::find_by_id(&state.db.read, petition_id).await? else {
                return Ok(Redirect::to("/").into_response());
            };
            let path = format!("/p/{}", rec.petition.slug);
            if let Some(code) = ShareCode::parse(&share_code) {
                visitor.remember_share_code(&path, &code);
            }
            Ok((visitor, Redirect::to(&format!("{path}/thanks"))).into_response())
        }
        Confirmed::Refused(link) => {
            let stored = confirmations::find(&state.db.read, &hash).await?;
            let locale = visitor.campaign_locale(stored.map_or(Locale::En, |l| Locale::parse(&l.locale)));
            let page = page_for(&state, link, locale, &action).await?;
            Ok((visitor, page).into_response())
        }
    }
}

/// The page for a link in state `link`: 200 with the button or "already confirmed", 410 when
/// expired, 404 when unknown. Never cached, never sent on as a referrer (its address is the
/// link).
async fn page_for(state: &AppState, link: LinkState, locale: Locale, action: &str) -> AppResult<Response> {
    let petition_id = match link {
        LinkState::Open { petition_id }
        | LinkState::Used { petition_id }
        | LinkState::Expired { petition_id } => Some(petition_id),
        LinkState::Unknown => None,
    };
    let rec = match petition_id {
        Some(id) => petitions::find_by_id(&state.db.read, id).await?,
        None => None,
    };
    let (status, html) = match (&link, &rec) {
        (LinkState::Unknown, _) | (_, None) => {
            (StatusCode::NOT_FOUND, confirm_page(locale, ConfirmView::Unknown))
        }
        (link, Some(rec)) => {
            let title = rec.content(locale.tag()).title;
            let petition = format!("/p/{}", rec.petition.slug);
            match link {
                LinkState::Open { .. } => {
                    (StatusCode::OK, confirm_page(locale, ConfirmView::Open { title, action }))
                }
                LinkState::Used { .. } => {
                    (StatusCode::OK, confirm_page(locale, ConfirmView::Used { title, petition: &petition }))
                }
                _ => (
                    StatusCode::GONE,
                    confirm_page(locale, ConfirmView::Expired { title, petition: &petition }),
                ),
            }
        }
    };
    let mut res = (status, html).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}
