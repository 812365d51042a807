//! Landing page visits and share-button clicks, counted in memory and added to the database
//! every few seconds (see `startup`), so that a busy ad never updates a row per view. Only
//! aggregates: a landing page, a day, a short code, a campaign; a petition, a day, a network;
//! nothing about the visitor.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hash},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use chrono::{NaiveDate, Utc};
use foldhash::HashSet;

use crate::sync::lock;

/// Distinct campaigns counted per landing page and day by one server; visits from further
/// campaign names (made-up links, say) are counted without a campaign, so that nobody can fill
/// the table by inventing names.
pub const MAX_CAMPAIGNS: usize = 100;

/// Counters, one per group of threads: each thread counts into its own, so that the threads
/// serving a busy ad do not wait on one lock (nor pass its memory between cores) per visit.
const SHARDS: usize = 16;

/// What one visit counts toward.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VisitKey {
    /// UTC.
    pub day: NaiveDate,
    pub landing_page_id: i64,
    /// The poster's short code it came through; 0 for none.
    pub short_code_id: i64,
    /// The visit's own `utm_campaign`; empty for none.
    pub campaign: String,
}

/// What one share-button click counts toward.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShareKey {
    /// UTC.
    pub day: NaiveDate,
    pub petition_id: i64,
    /// The network's name in `/p/{slug}/share/{network}`.
    pub network: &'static str,
    /// The share wording used; 0 for the petition's own.
    pub variant_id: i64,
}

/// Everything counted and not yet stored.
#[derive(Debug, Default)]
pub struct Taken {
    pub visits: HashMap<VisitKey, i64>,
    pub shares: HashMap<ShareKey, i64>,
}

impl Taken {
    pub fn is_empty(&self) -> bool {
        self.visits.is_empty() && self.shares.is_empty()
    }
}

/// Adds the counts of `from` to those of `into`.
fn add_up<K: Hash + Eq, S: BuildHasher>(
    into: &mut HashMap<K, i64, S>,
    from: impl IntoIterator<Item = (K, i64)>,
) {
    for (key, n) in from {
        *into.entry(key).or_default() += n;
    }
}

/// The campaigns told apart per landing page and day (see [`MAX_CAMPAIGNS`]).
type Campaigns = foldhash::HashMap<(NaiveDate, i64), HashSet<String>>;

/// One thread group's counts, and the campaigns it already knows were let in.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard {
    visits: foldhash::HashMap<VisitKey, i64>,
    shares: foldhash::HashMap<ShareKey, i64>,
    admitted: Campaigns,
}

#[derive(Debug, Default)]
struct Counted {
    shards: [Mutex<Shard>; SHARDS],
    /// Every campaign let in, which decides (see [`MAX_CAMPAIGNS`]).
    campaigns: Mutex<Campaigns>,
}

/// Visits not yet added to the database.
#[derive(Clone, Debug, Default)]
pub struct Visits(Arc<Counted>);

/// This thread's shard.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

impl Visits {
    /// Counts one visit of a landing page today, through a short code (a scan) and from a
    /// campaign's link when there is one.
    pub fn count(&self, landing_page_id: i64, short_code_id: Option<i64>, campaign: Option<&str>) {
        let day = Utc::now().date_naive();
        let mut shard = lock(&self.0.shards[shard_index()]);
        let campaign = match campaign {
            Some(c) if shard.admitted.get(&(day, landing_page_id)).is_some_and(|s| s.contains(c)) => {
                c.to_owned()
            }
            Some(c) if self.admit(day, landing_page_id, c) => {
                shard.admitted.entry((day, landing_page_id)).or_default().insert(c.to_owned());
                c.to_owned()
            }
            _ => String::new(),
        };
        let key = VisitKey { day, landing_page_id, short_code_id: short_code_id.unwrap_or(0), campaign };
        *shard.visits.entry(key).or_default() += 1;
    }

    /// Whether `campaign` is told apart on this landing page and day: it already is, or there
    /// is still room for it.
    fn admit(&self, day: NaiveDate, landing_page_id: i64, campaign: &str) -> bool {
        let mut campaigns = lock(&self.0.campaigns);
        let seen = campaigns.entry((day, landing_page_id)).or_default();
        seen.contains(campaign) || (seen.len() < MAX_CAMPAIGNS && seen.insert(campaign.to_owned()))
    }

    /// Counts one click on a share button of a petition today.
    pub fn count_share(&self, petition_id: i64, network: &'static str, variant_id: i64) {
        let key = ShareKey { day: Utc::now().date_naive(), petition_id, network, variant_id };
        *lock(&self.0.shards[shard_index()]).shares.entry(key).or_default() += 1;
    }

    /// Takes everything counted so far, to add it to the database.
    pub fn take(&self) -> Taken {
        let today = Utc::now().date_naive();
        lock(&self.0.campaigns).retain(|(day, _), _| *day >= today);
        let mut taken = Taken::default();
        for shard in &self.0.shards {
            let mut shard = lock(shard);
            shard.admitted.retain(|(day, _), _| *day >= today);
            add_up(&mut taken.visits, std::mem::take(&mut shard.visits));
            add_up(&mut taken.shares, std::mem::take(&mut shard.shares));
        }
        taken
    }

    /// Gives back counts that could not be stored, to be tried again with the next ones.
    pub fn put_back(&self, taken: Taken) {
        let mut shard = lock(&self.0.shards[shard_index()]);
        add_up(&mut shard.visits, taken.visits);
        add_up(&mut shard.shares, taken.shares);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_add_up_and_nothing_is_lost_when_given_back() {
        let v = Visits::default();
        v.count(1, None, None);
        v.count(1, None, None);
        v.count(1, Some(7), None);
        v.count(1, None, Some("nov"));
        v.count_share(9, "x", 0);
        let taken = v.take();
        assert_eq!(taken.visits.values().sum::<i64>(), 4);
        assert_eq!(taken.visits.len(), 3);
        assert_eq!(taken.shares.values().sum::<i64>(), 1);
        v.count(1, None, None);
        v.count_share(9, "x", 0);
        v.put_back(taken);
        let again = v.take();
        assert_eq!(again.visits.values().sum::<i64>(), 5);
        assert_eq!(again.shares.values().sum::<i64>(), 2);
        assert!(v.take().is_empty());
    }

    #[test]
    fn made_up_campaigns_cannot_grow_the_counts() {
        let v = Visits::default();
        for i in 0..(MAX_CAMPAIGNS + 50) {
            v.count(1, None, Some(&format!("c{i}")));
        }
        v.count(1, None, Some("c0"));
        let taken = v.take().visits;
        assert_eq!(taken.len(), MAX_CAMPAIGNS + 1, "the first campaigns, and the rest without one");
        assert_eq!(taken.values().sum::<i64>(), MAX_CAMPAIGNS as i64 + 51);
        let none = taken.iter().find(|(k, _)| k.campaign.is_empty()).map(|(_, n)| *n);
        assert_eq!(none, Some(50));
    }

    #[test]
    fn visits_counted_on_many_threads_add_up_and_share_the_campaign_limit() {
        let v = Visits::default();
        std::thread::scope(|scope| {
            for t in 0..(SHARDS + 3) {
                let v = &v;
                scope.spawn(move || {
                    for i in 0..1000 {
                        v.count(1, None, Some(&format!("c{}", (t * 1000 + i) % 150)));
                    }
                    v.count(2, Some(3), None);
                });
            }
        });
        let taken = v.take().visits;
        assert_eq!(taken.values().sum::<i64>(), (SHARDS as i64 + 3) * 1001);
        let named = taken.keys().filter(|k| !k.campaign.is_empty()).count();
        assert_eq!(named, MAX_CAMPAIGNS, "one limit for the whole server, not one per thread");
        assert_eq!(taken.iter().filter(|(k, _)| k.landing_page_id == 2).map(|(_, n)| n).sum::<i64>(), 19);
    }
}
