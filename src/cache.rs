//! In-memory views of what public pages read on every request, so that a page view does not
//! query the database: petition records (refreshed at least every second), counts (set by
//! the signature writer after each commit, and re-read every second so that other server
//! processes' signatures show too), and petition pages rendered from them.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::{Duration, Instant},
};

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use crate::{
    db::petitions::{self, PetitionRecord},
    views::petition::VISITOR_SLOT,
};

/// How long a cached petition record is served before it is read again.
pub const PETITION_TTL: Duration = Duration::from_secs(1);

/// Validated signatures of one petition, as of `updated_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    pub validated: i64,
    /// The tally row's version: changes are serialised by the database, so a higher version
    /// is always the newer count, whichever process or task read it.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<&entity::petition_tally::Model> for Tally {
    fn from(t: &entity::petition_tally::Model) -> Self {
        Self { validated: t.validated, version: t.version, updated_at: t.updated_at }
    }
}

/// Per-petition tallies, shared by every request.
#[derive(Clone, Debug, Default)]
pub struct Counts(Arc<RwLock<HashMap<i64, Tally>>>);

impl Counts {
    pub fn get(&self, petition_id: i64) -> Option<Tally> {
        read(&self.0).get(&petition_id).copied()
    }

    /// Records a tally read from the database, unless a newer one is already known.
    pub fn record(&self, petition_id: i64, tally: Tally) {
        let mut map = write(&self.0);
        let entry = map.entry(petition_id).or_insert(tally);
        if tally.version >= entry.version {
            *entry = tally;
        }
    }

    /// The public count of a petition: validated signatures plus the offline count staff
    /// entered, and when it last changed. Every page and feed shows this one number.
    pub fn public(&self, p: &entity::petition::Model) -> (i64, DateTime<Utc>) {
        match self.get(p.id) {
            Some(t) => (t.validated + p.offline_count, t.updated_at.max(p.updated_at)),
            None => (p.offline_count, p.updated_at),
        }
    }

    /// Re-reads every tally from the database.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for t in petitions::tallies(db).await? {
            self.record(t.petition_id, Tally::from(&t));
        }
        Ok(())
    }
}

/// Petition records by slug. A record older than [`PETITION_TTL`] is read again by one task in
/// the background while requests go on being served the one in memory, so a busy page never
/// sends a crowd of identical queries to the database (nor waits for it) when its record
/// expires.
#[derive(Clone, Debug, Default)]
pub struct PetitionCache {
    records: Arc<RwLock<HashMap<String, Cached>>>,
    /// First reads under way, one per slug: a crowd arriving at a page not yet in memory (just
    /// after a restart, say) waits for one query instead of sending one each.
    first_reads: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

#[derive(Debug)]
struct Cached {
    read_at: Instant,
    rec: Arc<PetitionRecord>,
    /// A background read of this record is under way.
    refreshing: bool,
}

impl Cached {
    /// Fresh, or being read again already: serve it as it is.
    fn servable(&self) -> bool {
        self.refreshing || self.read_at.elapsed() < PETITION_TTL
    }
}

impl PetitionCache {
    /// The petition with this slug: from memory (refreshed in the background once stale), or
    /// from `db` the first time. Unknown slugs are not cached, so random URLs cannot grow memory.
    pub async fn get(
        &self,
        db: &DatabaseConnection,
        slug: &str,
    ) -> Result<Option<Arc<PetitionRecord>>, DbErr> {
        if let Some(c) = read(&self.records).get(slug)
            && c.servable()
        {
            return Ok(Some(c.rec.clone()));
        }
        let stale = {
            let mut map = write(&self.records);
            match map.get_mut(slug) {
                Some(c) if c.servable() => {
                    return Ok(Some(c.rec.clone()));
                }
                Some(c) => {
                    c.refreshing = true;
                    Some(c.rec.clone())
                }
                None => None,
            }
        };
        if let Some(rec) = stale {
            let (cache, db, slug) = (self.clone(), db.clone(), slug.to_owned());
            tokio::spawn(async move {
                if let Err(e) = cache.load(&db, &slug).await {
                    tracing::warn!(error = %e, "refreshing a petition failed");
                }
            });
            return Ok(Some(rec));
        }
        let turn = lock(&self.first_reads).entry(slug.to_owned()).or_default().clone();
        let _turn = turn.lock().await;
        // Whoever read it while this request waited has left it in memory.
        if let Some(c) = read(&self.records).get(slug) {
            return Ok(Some(c.rec.clone()));
        }
        let loaded = self.load(db, slug).await;
        lock(&self.first_reads).remove(slug);
        loaded
    }

    /// Reads a record and keeps it; forgets the slug if the petition is gone. After a failed
    /// read the record in memory stays, and the next request past its age tries again.
    async fn load(&self, db: &DatabaseConnection, slug: &str) -> Result<Option<Arc<PetitionRecord>>, DbErr> {
        match petitions::find_by_slug(db, slug).await {
            Ok(Some(rec)) => {
                let rec = Arc::new(rec);
                let cached = Cached { read_at: Instant::now(), rec: rec.clone(), refreshing: false };
                write(&self.records).insert(slug.to_owned(), cached);
                Ok(Some(rec))
            }
            Ok(None) => {
                write(&self.records).remove(slug);
                Ok(None)
            }
            Err(e) => {
                if let Some(c) = write(&self.records).get_mut(slug) {
                    c.refreshing = false;
                }
                Err(e)
            }
        }
    }
}

/// Petition pages rendered once per petition record and count, not on every view. Each visitor's
/// own hidden form fields are put into the rendered page as it is served.
#[derive(Clone, Debug, Default)]
pub struct PageCache(Arc<RwLock<HashMap<i64, Arc<Rendered>>>>);

/// A rendered page, the record and count it shows, and where visitors' fields go.
#[derive(Debug)]
pub struct Rendered {
    /// Compared by pointer: a record read again is a new `Arc`, so at most one render per
    /// [`PETITION_TTL`] comes from the record, and one per change of the count.
    rec: Arc<PetitionRecord>,
    count: i64,
    html: Bytes,
    /// Where [`VISITOR_SLOT`] was, which is cut out of `html`.
    slot: Option<usize>,
}

impl Rendered {
    fn new(rec: Arc<PetitionRecord>, count: i64, mut html: String) -> Self {
        let slot = html.find(VISITOR_SLOT);
        if let Some(at) = slot {
            html.replace_range(at..at + VISITOR_SLOT.len(), "");
        }
        Self { rec, count, html: Bytes::from(html), slot }
    }

    /// The page with `fields` (HTML) in its slot; shared, not copied, when there are none.
    pub fn with(&self, fields: &str) -> Bytes {
        let Some(at) = self.slot.filter(|_| !fields.is_empty()) else { return self.html.clone() };
        let mut page = Vec::with_capacity(self.html.len() + fields.len());
        page.extend_from_slice(&self.html[..at]);
        page.extend_from_slice(fields.as_bytes());
        page.extend_from_slice(&self.html[at..]);
        Bytes::from(page)
    }
}

impl PageCache {
    /// The page of `rec` showing `count`, rendered by `render` (which returns the count it
    /// showed and the HTML, with [`VISITOR_SLOT`] once) unless it already was.
    pub fn get_or_render(
        &self,
        rec: &Arc<PetitionRecord>,
        count: i64,
        render: impl FnOnce() -> (i64, String),
    ) -> Arc<Rendered> {
        let id = rec.petition.id;
        if let Some(page) = read(&self.0).get(&id)
            && page.count == count
            && Arc::ptr_eq(&page.rec, rec)
        {
            return page.clone();
        }
        let (count, html) = render();
        let page = Arc::new(Rendered::new(rec.clone(), count, html));
        write(&self.0).insert(id, page.clone());
        page
    }
}

// These maps hold plain values that every update leaves whole, so a panic elsewhere while a
// lock was held (a poisoned lock) leaves nothing half-done to guard against.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_tally_never_replaces_a_newer_one() {
        let counts = Counts::default();
        let at = Utc::now();
        counts.record(1, Tally { validated: 5, version: 2, updated_at: at });
        counts.record(1, Tally { validated: 4, version: 1, updated_at: at });
        assert_eq!(counts.get(1).map(|t| t.validated), Some(5));
        counts.record(1, Tally { validated: 3, version: 3, updated_at: at });
        assert_eq!(counts.get(1).map(|t| t.validated), Some(3));
    }
}
