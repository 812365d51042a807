//! What every handler can reach.
//!
//! One `Arc` around everything: extractors and middleware clone the state for every request,
//! and cloning a dozen shared handles each time (each an atomic counter that both cores fight
//! over) cost `/healthz` a third of its speed.

use std::{
    ops::Deref,
    sync::{Arc, atomic::AtomicBool},
};

use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;

use crate::{
    cache::{CodeCache, ImageCache, LandingCache, PageCache, PetitionCache},
    config::Config,
    db::{Database, writer::SignatureWriter},
    limits::Limits,
    routes::{admin::LoginLimits, visitor::SignedCookies},
    sharing::ShareChooser,
    tally::Counts,
    visits::Visits,
};

/// The server's shared state; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
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
    /// Chooses the share text of each share click.
    pub share_texts: ShareChooser,
    /// Staff sign-in attempts allowed per account and address.
    pub login_limits: LoginLimits,
    /// Limits on signing: past them a signature is held, or (a flood) refused.
    pub limits: Arc<Limits>,
    /// The signing form's issued-at tokens.
    pub form_tokens: crate::limits::FormTokens,
    /// The human check petitions may ask for (`CAPTCHA_*`).
    pub captcha: Option<crate::captcha::Captcha>,
    /// What `/metrics` reports besides the writer's and the limits' own figures.
    pub counters: Arc<crate::metrics::Counters>,
    /// The other server processes on this database, and whether the network limit is
    /// checked in it now.
    pub peers: Arc<crate::peers::Peers>,
    /// No staff account exists yet: the home page points to the setup link.
    pub needs_setup: AtomicBool,
    /// Signs every cookie (derived from the instance's secret key).
    pub cookie_key: Key,
    /// Cookies already signed.
    pub signed_cookies: SignedCookies,
    /// Tells the email sender that emails were just written to the outbox.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Tells the webhook sender that deliveries were just written.
    pub hooks_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Database {
    fn from_ref(state: &AppState) -> Self {
        state.db.clone()
    }
}
