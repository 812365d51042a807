//! In-memory views of what public pages read on every request, so that a page view does not
//! query the database: petition records (refreshed at least every second) and petition pages
//! rendered from them and their count (see [`crate::tally`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use axum::body::Bytes;
use sea_orm::{DatabaseConnection, DbErr};

use crate::{
    db::petitions::{self, PetitionRecord},
    i18n::Locale,
    sync::{lock, read, write},
};

/// How long a cached petition record is served before it is read again.
pub const PETITION_TTL: Duration = Duration::from_secs(1);

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

/// Petition pages rendered once per petition record, language and count, not on every view.
/// Each visitor's own hidden form fields are put into the rendered page as it is served.
#[derive(Clone, Debug, Default)]
pub struct PageCache(Arc<RwLock<HashMap<PageKey, Arc<Rendered>>>>);

/// A petition's id and the page's language.
type PageKey = (i64, Locale);

/// A rendered page, the record and count it shows, and where visitors' fields go.
#[derive(Debug)]
pub struct Rendered {
    /// Compared by pointer: a record read again is a new `Arc`, so at most one render per
    /// [`PETITION_TTL`] comes from the record, and one per change of the count.
    rec: Arc<PetitionRecord>,
    count: i64,
    html: Bytes,
    /// Where the visitor slot was, which is cut out of `html`.
    slot: Option<usize>,
}

impl Rendered {
    fn new(rec: Arc<PetitionRecord>, count: i64, mut html: String, slot_marker: &str) -> Self {
        let slot = html.find(slot_marker);
        if let Some(at) = slot {
            html.replace_range(at..at + slot_marker.len(), "");
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
    /// The page of `rec` in `locale` showing `count`, rendered by `render` unless it already
    /// was. `render` returns the count it showed and the HTML, with `slot_marker` once where
    /// each visitor's fields go (a marker that rendered text cannot contain).
    pub fn get_or_render(
        &self,
        rec: &Arc<PetitionRecord>,
        locale: Locale,
        count: i64,
        slot_marker: &str,
        render: impl FnOnce() -> (i64, String),
    ) -> Arc<Rendered> {
        let id = (rec.petition.id, locale);
        if let Some(page) = read(&self.0).get(&id)
            && page.count == count
            && Arc::ptr_eq(&page.rec, rec)
        {
            return page.clone();
        }
        let (count, html) = render();
        let page = Arc::new(Rendered::new(rec.clone(), count, html, slot_marker));
        write(&self.0).insert(id, page.clone());
        page
    }
}
