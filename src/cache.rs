//! In-memory views of what public pages read on every request, so that a page view does not
//! query the database: records (petitions, landing pages) read by slug and refreshed at least
//! every second, and pages rendered from them and their count (see [`crate::tally`]).

use std::{
    any::Any,
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use axum::body::Bytes;
use sea_orm::{DatabaseConnection, DbErr};

use crate::{
    compress::{self, Kept},
    db::{
        landing::{self, CodeRecord, LandingRecord},
        petitions::{self, PetitionRecord},
    },
    domain::attribution::Attribution,
    i18n::Locale,
    sync::{lock, read, write},
};

/// How long a cached record is served before it is read again.
pub const RECORD_TTL: Duration = Duration::from_secs(1);

/// Something a public page shows, read from the database by its slug.
pub trait Record: Send + Sync + Sized + 'static {
    /// The record with this slug, or `None` if there is none.
    fn load(db: &DatabaseConnection, slug: &str) -> impl Future<Output = Result<Option<Self>, DbErr>> + Send;
}

impl Record for PetitionRecord {
    async fn load(db: &DatabaseConnection, slug: &str) -> Result<Option<Self>, DbErr> {
        petitions::find_by_slug(db, slug).await
    }
}

impl Record for LandingRecord {
    async fn load(db: &DatabaseConnection, slug: &str) -> Result<Option<Self>, DbErr> {
        landing::find_live(db, slug).await
    }
}

impl Record for CodeRecord {
    async fn load(db: &DatabaseConnection, code: &str) -> Result<Option<Self>, DbErr> {
        landing::find_code(db, code).await
    }
}

/// Petition records by slug.
pub type PetitionCache = RecordCache<PetitionRecord>;
/// Live landing pages by slug.
pub type LandingCache = RecordCache<LandingRecord>;
/// Short codes of live landing pages.
pub type CodeCache = RecordCache<CodeRecord>;

/// Records by slug. A record older than [`RECORD_TTL`] is read again by one task in the
/// background while requests go on being served the one in memory, so a busy page never sends a
/// crowd of identical queries to the database (nor waits for it) when its record expires.
#[derive(Debug)]
pub struct RecordCache<R> {
    records: Arc<RwLock<foldhash::HashMap<String, Cached<R>>>>,
    /// First reads under way, one per slug: a crowd arriving at a page not yet in memory (just
    /// after a restart, say) waits for one query instead of sending one each.
    first_reads: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl<R> Clone for RecordCache<R> {
    fn clone(&self) -> Self {
        Self { records: self.records.clone(), first_reads: self.first_reads.clone() }
    }
}

impl<R> Default for RecordCache<R> {
    fn default() -> Self {
        Self { records: Arc::default(), first_reads: Arc::default() }
    }
}

#[derive(Debug)]
struct Cached<R> {
    read_at: Instant,
    rec: Arc<R>,
    /// A background read of this record is under way.
    refreshing: bool,
}

impl<R> Cached<R> {
    /// Fresh, or being read again already: serve it as it is.
    fn servable(&self) -> bool {
        self.refreshing || self.read_at.elapsed() < RECORD_TTL
    }
}

impl<R: Record> RecordCache<R> {
    /// The record with this slug: from memory (refreshed in the background once stale), or
    /// from `db` the first time. Unknown slugs are not cached, so random URLs cannot grow memory.
    pub async fn get(&self, db: &DatabaseConnection, slug: &str) -> Result<Option<Arc<R>>, DbErr> {
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
                    tracing::warn!(error = %crate::error::chain(&e), "refreshing a record failed");
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

    /// Reads a record and keeps it; forgets the slug if the record is gone. After a failed read
    /// the record in memory stays, and the next request past its age tries again.
    async fn load(&self, db: &DatabaseConnection, slug: &str) -> Result<Option<Arc<R>>, DbErr> {
        match R::load(db, slug).await {
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

/// Stored images by their SHA-256, kept in memory once read (they never change). At most
/// [`ImageCache::MAX`] are kept; a new one pushes out another.
#[derive(Clone, Debug, Default)]
pub struct ImageCache(Arc<RwLock<HashMap<String, Arc<StoredImage>>>>);

/// An image's type and bytes.
#[derive(Debug)]
pub struct StoredImage {
    pub content_type: String,
    pub data: Bytes,
}

impl ImageCache {
    pub const MAX: usize = 64;

    pub async fn get(
        &self,
        db: &DatabaseConnection,
        sha256: &str,
    ) -> Result<Option<Arc<StoredImage>>, DbErr> {
        if let Some(img) = read(&self.0).get(sha256) {
            return Ok(Some(img.clone()));
        }
        let Some(stored) = landing::image(db, sha256).await? else { return Ok(None) };
        let img = Arc::new(StoredImage { content_type: stored.content_type, data: Bytes::from(stored.data) });
        let mut map = write(&self.0);
        if map.len() >= Self::MAX
            && let Some(other) = map.keys().next().cloned()
        {
            map.remove(&other);
        }
        map.insert(sha256.to_owned(), img.clone());
        Ok(Some(img))
    }
}

/// Which page a rendered page is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageKey {
    /// `/p/{slug}`, by petition id, with the share text whose preview image it shows (`?v=`;
    /// 0 for its own).
    Petition(i64, Locale, i64),
    /// `/a/{landing}`, by landing page id, and the same.
    Landing(i64, Locale, i64),
}

/// A record a rendered page was made from; compared by pointer.
pub type Source = Arc<dyn Any + Send + Sync>;

/// Public pages rendered once per record, language and count, not on every view. Each
/// visitor's own hidden form fields are put into the rendered page as it is served.
#[derive(Clone, Debug, Default)]
pub struct PageCache(Arc<RwLock<foldhash::HashMap<PageKey, Arc<Rendered>>>>);

/// A rendered page, what it was made from, and where visitors' fields go.
#[derive(Debug)]
pub struct Rendered {
    /// Compared by pointer: a record read again is a new `Arc`, so at most one render per
    /// [`RECORD_TTL`] comes from the records, and one per change of the count.
    sources: Vec<Source>,
    count: i64,
    /// The second its form's token was issued in (0: no token), which it is served in only.
    second: u64,
    /// The page without a visitor's fields; the slot is cut out of it.
    page: Arc<compress::Body>,
    /// Where the visitor slot was.
    slot: Option<usize>,
    /// The page as served with recent first touches. Everyone who comes from one ad carries
    /// the same one, so most visits are served a page made (and compressed) for an earlier
    /// visitor.
    filled: RwLock<foldhash::HashMap<Attribution, Arc<compress::Body>>>,
}

/// A page as served to one visitor.
#[derive(Debug)]
pub enum Served {
    /// Kept in memory, and compressed once for everyone it is served to.
    Kept(Arc<compress::Body>),
    /// Made for this response alone (more first touches than are kept at once).
    Once(Bytes),
}

impl Rendered {
    fn new(sources: Vec<Source>, count: i64, second: u64, mut html: String, slot_marker: &str) -> Self {
        let slot = html.find(slot_marker);
        if let Some(at) = slot {
            html.replace_range(at..at + slot_marker.len(), "");
        }
        let page = Arc::new(compress::Body::new(Bytes::from(html), Kept::Page));
        Self { sources, count, second, page, slot, filled: RwLock::default() }
    }

    /// Whether this page was rendered from exactly these records and this count, in `second`.
    fn shows(&self, sources: &[Source], count: i64, second: u64) -> bool {
        self.count == count
            && self.second == second
            && self.sources.len() == sources.len()
            && self.sources.iter().zip(sources).all(|(a, b)| Arc::ptr_eq(a, b))
    }

    /// At most this many first touches are kept filled in per page.
    const MAX_FILLED: usize = 32;

    /// The page with the hidden fields of `attribution` in its slot, which `fields` renders as
    /// HTML; shared, not copied, when there are none or when the page was already filled in
    /// for the same first touch.
    pub fn with(&self, attribution: &Attribution, fields: impl FnOnce(&Attribution) -> String) -> Served {
        let Some(at) = self.slot.filter(|_| !attribution.is_empty()) else {
            return Served::Kept(self.page.clone());
        };
        if let Some(page) = read(&self.filled).get(attribution) {
            return Served::Kept(page.clone());
        }
        let fields = fields(attribution);
        let html = self.page.identity();
        let mut page = Vec::with_capacity(html.len() + fields.len());
        page.extend_from_slice(&html[..at]);
        page.extend_from_slice(fields.as_bytes());
        page.extend_from_slice(&html[at..]);
        let page = Bytes::from(page);
        let mut filled = write(&self.filled);
        if filled.len() >= Self::MAX_FILLED {
            return Served::Once(page);
        }
        let page = filled
            .entry(attribution.clone())
            .or_insert_with(|| Arc::new(compress::Body::new(page, Kept::Page)))
            .clone();
        Served::Kept(page)
    }
}

impl PageCache {
    /// The page `key` made from `sources` showing `count`, rendered by `render` unless it
    /// already was. `render` returns the count it showed and the HTML, with `slot_marker` once
    /// where each visitor's fields go (a marker that rendered text cannot contain).
    pub fn get_or_render(
        &self,
        key: PageKey,
        sources: &[Source],
        count: i64,
        second: u64,
        slot_marker: &str,
        render: impl FnOnce() -> (i64, String),
    ) -> Arc<Rendered> {
        if let Some(page) = read(&self.0).get(&key)
            && page.shows(sources, count, second)
        {
            return page.clone();
        }
        let (count, html) = render();
        let page = Arc::new(Rendered::new(sources.to_vec(), count, second, html, slot_marker));
        write(&self.0).insert(key, page.clone());
        page
    }
}
