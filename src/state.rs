//! What every handler can reach.

use std::sync::Arc;

use axum::extract::FromRef;

use crate::{
    cache::{Counts, PageCache, PetitionCache},
    config::Config,
    db::{Database, writer::SignatureWriter},
};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub db: Database,
    pub config: Arc<Config>,
    pub writer: SignatureWriter,
    pub counts: Counts,
    pub petitions: PetitionCache,
    pub pages: PageCache,
}
