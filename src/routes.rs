//! Every route of the server, in one place.

pub mod admin;
pub mod api;
pub mod assets;
pub mod client_ip;
pub mod confirm;
pub mod delivery;
pub mod embed;
pub mod errors;
pub mod health;
pub mod landing;
pub mod public;
pub mod share;
pub mod unsubscribe;
pub mod visitor;

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};

use crate::{cache::Served, compress::Accepts, error::AppError, state::AppState};

pub fn router(state: AppState) -> Router<AppState> {
    // Anyone's requests: a body that trickles in a byte at a time holds its connection no
    // longer than `BODY_TIMEOUT_SECONDS` (two seconds on a connection accepted while places were
    // short). Staff and API requests are let in before their bodies are read, and may upload a
    // picture over a slow line.
    let public = Router::new()
        .merge(public::router())
        .merge(delivery::router())
        .merge(confirm::router())
        .merge(unsubscribe::router())
        .merge(landing::router())
        .merge(share::router())
        .merge(embed::router())
        .merge(health::router())
        .merge(assets::router())
        .layer(crate::serve::BodyDeadlineLayer { relaxed: state.config.body_timeout });
    Router::new().merge(public).merge(admin::router(state)).merge(api::router()).fallback(not_found)
}

/// The content security policy of every page: nothing from other sites, no inline script,
/// forms post only here; `frame_ancestors` says who may frame the page (`'none'`, or the embed's
/// partner origins).
pub fn content_security_policy(frame_ancestors: &str) -> String {
    content_security_policy_with(frame_ancestors, None)
}

/// [`content_security_policy`], letting in `third_party` origins for scripts, frames,
/// connections and styles (a human check's widget).
pub fn content_security_policy_with(frame_ancestors: &str, third_party: Option<&str>) -> String {
    let o = third_party.map(|o| format!(" {o}")).unwrap_or_default();
    let frames = third_party.map(|o| format!(" frame-src {o}; connect-src 'self' {o};")).unwrap_or_default();
    format!(
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'{o}; script-src 'self'{o};{frames} \
         form-action 'self'; object-src 'none'; frame-ancestors {frame_ancestors}; base-uri 'none'"
    )
}

/// On a response: the origins its page lets in beyond its own (the human check's widget), for
/// the security policy the middleware (or the embed) writes.
#[derive(Clone, Copy, Debug)]
pub struct ThirdParty(pub &'static str);

/// Headers a busy page's response ends up with (its own, a cookie or two, and the security
/// headers the middleware adds), with room to spare.
const HEADER_ROOM: usize = 16;

/// A response whose header map has room for every header it will carry. A map made empty grows
/// twice on the way out, each time moving every header (about 2% of a page view's work).
pub fn roomy(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    *res.headers_mut() = HeaderMap::with_capacity(HEADER_ROOM);
    res
}

/// A rendered page, in a [`roomy`] response: one kept in memory in the coding the client
/// prefers (compressed once for everyone), one made for this response as it is (the
/// compression layer compresses it).
pub fn html_page(page: Served, accepts: Accepts) -> Response {
    let mut res = match page {
        Served::Kept(body) => kept(&body, accepts),
        Served::Once(html) => roomy(StatusCode::OK, html),
    };
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    res
}

/// A body kept compressed, in the coding the client prefers, in a [`roomy`] `200`: with its
/// `Content-Encoding` and `Vary: accept-encoding`, so caches keep each coding apart.
pub fn kept(body: &crate::compress::Body, accepts: Accepts) -> Response {
    let (bytes, coding) = body.encoded(accepts);
    let mut res = roomy(StatusCode::OK, bytes);
    if let Some(coding) = coding.header() {
        res.headers_mut().insert(header::CONTENT_ENCODING, coding);
    }
    res.headers_mut().insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

async fn not_found() -> AppError {
    AppError::NotFound
}
