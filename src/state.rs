//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;

use crate::{
    cache::{CodeCache, ImageCache, LandingCache, PageCache, PetitionCache},
    config::Config,
    db::{Database, writer::SignatureWriter},
    tally::Counts,
    visits::Visits,
};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub writer: SignatureWriter,
    pub counts: Counts,
    pub petitions: PetitionCache,
    pub landings: LandingCache,
    pub codes: CodeCache,
    pub images: ImageCache,
    pub pages: PageCache,
    /// Landing page visits not yet stored.
    pub visits: Visits,
    /// Signs every cookie (derived from the instance's secret key).
    pub cookie_key: Key,
    /// Cookies already signed.
    pub signed_cookies: crate::routes::visitor::SignedCookies,
}
