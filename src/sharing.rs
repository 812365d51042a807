//! Which share text a share click uses. Each petition's figures (clicks and signatures per
//! text) are read from the database at most every [`FIGURES_TTL`], in the background, so a
//! click never waits for a query; the choice itself is made in memory (see
//! [`crate::domain::share_text::choose`]).

use std::{
    collections::HashMap,
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::DatabaseConnection;

use crate::{
    db::share_texts::{self, ShareText},
    domain::share_text::{Arm, choose},
    sync::{read, write},
};

/// How old a petition's figures may be before they are read again. The figures move slowly
/// (signatures follow clicks by minutes), so the choice loses nothing by this lag.
pub const FIGURES_TTL: Duration = Duration::from_secs(10);

/// One petition's figures as last read.
#[derive(Debug, Default)]
struct Figures {
    /// `None` until the first read has come back.
    read_at: Option<Instant>,
    arms: HashMap<i64, Arm>,
    refreshing: AtomicBool,
    /// Clicks so far, for taking turns; kept across reads.
    turn: Arc<AtomicU64>,
}

impl Figures {
    fn stale(&self) -> bool {
        self.read_at.is_none_or(|at| at.elapsed() >= FIGURES_TTL)
    }
}

/// Chooses share texts; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct ShareChooser(Arc<RwLock<HashMap<i64, Arc<Figures>>>>);

impl ShareChooser {
    /// The text for one share click on petition `petition_id`, among `texts` (its live texts
    /// in the page's language); `None` when there are none.
    pub fn pick<'a>(
        &self,
        db: &DatabaseConnection,
        petition_id: i64,
        texts: &[&'a ShareText],
    ) -> Option<&'a ShareText> {
        match texts {
            [] => None,
            [only] => Some(only),
            _ => {
                let figures = self.figures(db, petition_id);
                let arms: Vec<Arm> =
                    texts.iter().map(|t| figures.arms.get(&t.id).copied().unwrap_or_default()).collect();
                let turn = figures.turn.fetch_add(1, Ordering::Relaxed);
                Some(texts[choose(&arms, turn, &mut rand::rng())])
            }
        }
    }

    /// The petition's figures, read again in the background when stale.
    fn figures(&self, db: &DatabaseConnection, petition_id: i64) -> Arc<Figures> {
        let current = read(&self.0).get(&petition_id).cloned();
        let figures = match current {
            Some(f) => f,
            None => write(&self.0).entry(petition_id).or_default().clone(),
        };
        if figures.stale() && !figures.refreshing.swap(true, Ordering::AcqRel) {
            let (chooser, db) = (self.clone(), db.clone());
            tokio::spawn(async move {
                let fresh = match share_texts::figures(&db, petition_id).await {
                    Ok(arms) => Figures { read_at: Some(Instant::now()), arms, ..Figures::default() },
                    Err(e) => {
                        tracing::warn!(error = %crate::error::chain(&e), "reading share text figures failed");
                        // Try again after a while, choosing from what is known meanwhile.
                        let old =
                            read(&chooser.0).get(&petition_id).map(|f| f.arms.clone()).unwrap_or_default();
                        Figures { read_at: Some(Instant::now()), arms: old, ..Figures::default() }
                    }
                };
                let mut map = write(&chooser.0);
                let turn = map.get(&petition_id).map_or(0, |f| f.turn.load(Ordering::Relaxed));
                fresh.turn.store(turn, Ordering::Relaxed);
                map.insert(petition_id, Arc::new(fresh));
            });
        }
        figures
    }
}
