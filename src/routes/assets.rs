//! The stylesheet, the script and the icon, served from the binary. The stylesheet and the
//! script are compressed once, at their smallest, for every phone that asks.

use std::sync::LazyLock;

use axum::{
    Router,
    body::Bytes,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    compress::{self, Accepts, Kept},
    state::AppState,
    views::layout::{CSS, ICON, JS},
};

static CSS_BODY: LazyLock<compress::Body> =
    LazyLock::new(|| compress::Body::new(Bytes::from_static(CSS.as_bytes()), Kept::File));
static JS_BODY: LazyLock<compress::Body> =
    LazyLock::new(|| compress::Body::new(Bytes::from_static(JS.as_bytes()), Kept::File));

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/favicon.svg", get(icon))
        // Browsers and feed readers ask for this one without being told.
        .route("/favicon.ico", get(icon))
}

async fn stylesheet(accepts: Accepts) -> Response {
    kept(&CSS_BODY, "text/css; charset=utf-8", accepts)
}

async fn script(accepts: Accepts) -> Response {
    kept(&JS_BODY, "text/javascript; charset=utf-8", accepts)
}

/// A file kept compressed, in the coding the client prefers.
fn kept(body: &compress::Body, content_type: &'static str, accepts: Accepts) -> Response {
    let mut res = super::kept(body, accepts);
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The URL carries a content hash, so the file can be cached for good.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    res
}

async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        ICON,
    )
}
