//! Every route of the server, in one place.

pub mod assets;
pub mod client_ip;
pub mod errors;
pub mod health;
pub mod landing;
pub mod public;
pub mod visitor;

use axum::Router;

use crate::{error::AppError, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(landing::router())
        .merge(health::router())
        .merge(assets::router())
        .fallback(not_found)
}

async fn not_found() -> AppError {
    AppError::NotFound
}
