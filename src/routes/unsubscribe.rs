//! `GET /unsubscribe/{token}` shows a button; `POST /unsubscribe/{token}` stops that kind of
//! update email about that petition for the address it went to. A mail program's one-click
//! unsubscribe (RFC 8058, from the email's `List-Unsubscribe` and `List-Unsubscribe-Post`
//! headers) is that `POST`, with no cookie and nothing else: the link's token is the only
//! credential. Link scanners that open every link change nothing.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::Utc;

use super::visitor::Visitor;
use crate::{
    db::{petitions, unsubscribes},
    error::AppResult,
    i18n::Locale,
    state::AppState,
    views::unsubscribe::{UnsubscribeView, unsubscribe_page},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/unsubscribe/{token}", get(show).post(stop))
}

/// The email the link came in, if the token could be one of ours.
async fn email_of(state: &AppState, token: &str) -> AppResult<Option<entity::email::Model>> {
    if !crate::domain::staff::could_be_token(token) {
        return Ok(None);
    }
    Ok(unsubscribes::email_of(&state.db.read, token).await?)
}

/// `GET /unsubscribe/{token}`.
async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    visitor: Visitor,
) -> AppResult<Response> {
    let email = email_of(&state, &token).await?;
    let subscribed = match &email {
        Some(e) => unsubscribes::subscribed(&state.db.read, e).await?,
        None => false,
    };
    let page =
        page_for(&state, &visitor, email.as_ref(), subscribed, &format!("/unsubscribe/{token}")).await?;
    Ok((visitor, page).into_response())
}

/// `POST /unsubscribe/{token}`: stops them (again, harmlessly).
async fn stop(
    State(state): State<AppState>,
    Path(token): Path<String>,
    visitor: Visitor,
) -> AppResult<Response> {
    let email = email_of(&state, &token).await?;
    if let Some(e) = &email {
        unsubscribes::stop(&state.db.write, e, Utc::now()).await?;
        tracing::info!(email = e.id, kind = %e.kind, "update emails stopped from their link");
    }
    let page = page_for(&state, &visitor, email.as_ref(), false, "").await?;
    Ok((visitor, page).into_response())
}

/// The page: the button while the emails are still sent, "stopped" once they are not, `404`
/// for an unknown link. In the petition's language for its recipients' updates, the visitor's
/// otherwise. Never cached, never sent on as a referrer (its address is the link).
async fn page_for(
    state: &AppState,
    visitor: &Visitor,
    email: Option<&entity::email::Model>,
    subscribed: bool,
    action: &str,
) -> AppResult<Response> {
    let rec = match email.and_then(|e| e.petition_id) {
        Some(id) => petitions::find_by_id(&state.db.read, id).await?,
        None => None,
    };
    let (status, html) = match (email, &rec) {
        (Some(e), Some(rec)) => {
            let locale = if e.kind == crate::letters::DIGEST {
                Locale::parse(&rec.petition.locale)
            } else {
                visitor.locale(Locale::En)
            };
            let title = rec.content(locale.tag()).title;
            let view = if subscribed {
                UnsubscribeView::Open { title, action }
            } else {
                UnsubscribeView::Done { title }
            };
            (StatusCode::OK, unsubscribe_page(locale, view))
        }
        _ => (StatusCode::NOT_FOUND, unsubscribe_page(visitor.locale(Locale::En), UnsubscribeView::Unknown)),
    };
    let mut res = (status, html).into_response();
    let headers = res.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}
