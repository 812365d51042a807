//! A delivery's public record, `/d/{id}` (the id is 128 random bits: the record is public to
//! whoever has the address), and its signer list, whose SHA-256 the record states.

use axum::{
    Router,
    extract::{Path, Query, State},
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
    Router::new()
        .route("/d/{id}", get(show))
        .route("/d/{id}/signers.csv", get(signers))
        .route("/d/{id}/packet.pdf", get(packet_pdf))
        .route("/d/{id}/packet", get(packet_html))
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

/// `GET /d/{id}/signers.csv`: the exact bytes the digest is over.
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
    // It names people: no shared cache keeps it.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}

#[derive(Debug, Default, serde::Deserialize)]
struct PacketParams {
    /// `landscape`, else portrait.
    #[serde(default)]
    layout: String,
}

/// `GET /d/{id}/packet.pdf[?layout=landscape]`: the packet, made from what the delivery froze.
async fn packet_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<PacketParams>,
) -> AppResult<Response> {
    let d = deliveries::by_public_id(&state.db.read, public_id(&id)?).await?.ok_or(AppError::NotFound)?;
    let landscape = match params.layout.as_str() {
        "" | "portrait" => false,
        "landscape" => true,
        _ => return Err(AppError::BadRequest("layout is portrait or landscape".into())),
    };
    let url = state.config.absolute(&format!("/d/{}", d.public_id));
    let name = format!("delivery-{}-packet.pdf", &d.public_id[..8]);
    let pdf = crate::packet::pdf_of(d, url, landscape).await.map_err(|e| AppError::Internal(e.into()))?;
    let mut res = pdf.into_response();
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    headers.insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}

/// `GET /d/{id}/packet`: the packet as a page to print, in the letter's language.
async fn packet_html(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Response> {
    let d = deliveries::by_public_id(&state.db.read, public_id(&id)?).await?.ok_or(AppError::NotFound)?;
    let url = state.config.absolute(&format!("/d/{}", d.public_id));
    let locale = Locale::parse(&d.locale);
    let back = format!("/d/{}", d.public_id);
    let page = crate::packet::in_turn(move || {
        let packet = crate::packet::of_delivery(&d, locale, &url, false);
        crate::views::delivery::packet_page(&packet, locale, &back)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let mut res = page.into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    res.headers_mut().insert("x-robots-tag", HeaderValue::from_static("noindex"));
    Ok(res)
}
