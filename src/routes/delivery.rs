//! A delivery's public record, `/d/{id}` (the id is 128 random bits: the record is public to
//! whoever has the address), and its signer list, whose SHA-256 the record states.

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::visitor::Visitor;
use crate::{
    db::{deliveries, petitions},
    error::{AppError, AppResult},
    i18n::Locale,
    state::AppState,
    views::delivery::{DeliveryView, delivery_page},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/d/{id}", get(show)).route("/d/{id}/signers.csv", get(signers))
}

/// A public id as made (32 lower-case hex digits); anything else is not looked up.
fn public_id(raw: &str) -> AppResult<&str> {
    (raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then_some(raw)
        .ok_or(AppError::NotFound)
}

/// `GET /d/{id}`.
async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> AppResult<Response> {
    let d = deliveries::by_public_id(&state.db.read, public_id(&id)?).await?.ok_or(AppError::NotFound)?;
    let slug = petitions::find_by_id(&state.db.read, d.petition_id)
        .await?
        .map(|r| r.petition.slug)
        .unwrap_or_default();
    let locale = visitor.locale(Locale::parse(&d.locale));
    let view = DeliveryView {
        delivery: &d,
        slug: &slug,
        locale,
        url: state.config.absolute(&format!("/d/{}", d.public_id)),
    };
    let mut res = (visitor, delivery_page(&view)).into_response();
    // Only whoever has the address should find it.
    res.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}

/// `GET /d/{id}/signers.csv`: the exact bytes the digest is over; they never change.
async fn signers(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let d = deliveries::by_public_id(&state.db.read, public_id(&id)?).await?.ok_or(AppError::NotFound)?;
    let disposition = format!("attachment; filename=\"delivery-{}-signers.csv\"", &d.public_id[..8]);
    let etag = format!("\"{}\"", d.digest);
    let mut res = d.signers_csv.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}
