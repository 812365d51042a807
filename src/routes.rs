//! Every route of the server, in one place.

pub mod assets;
pub mod client_ip;
pub mod embed;
pub mod errors;
pub mod health;
pub mod landing;
pub mod public;
pub mod share;
pub mod visitor;

use axum::Router;

use crate::{error::AppError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(landing::router())
        .merge(share::router())
        .merge(embed::router())
        .merge(health::router())
        .merge(assets::router())
        .fallback(not_found)
}

/// The content security policy of every page: nothing from other sites, no inline script,
/// forms post only here; `frame_ancestors` says who may frame the page (`'none'`, or the embed's
/// partner origins).
pub fn content_security_policy(frame_ancestors: &str) -> String {
    format!(
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; \
         form-action 'self'; object-src 'none'; frame-ancestors {frame_ancestors}; base-uri 'none'"
    )
}

async fn not_found() -> AppError {
    AppError::NotFound
}
