//! Where a keyed limiter keeps its keys: a 64-bit word a key (with the table's room and tags,
//! 10 to 20 bytes), forgotten as soon as forgetting changes nothing.
//!
//! Under a surge every signature brings a new network and a new address, and each limiter
//! keeps every key until its rate has refilled: at 10,000 signatures a second, over half a
//! million keys. `governor`'s own keyed store gives each a 64-bit key and a 64-bit time in a
//! map of its own hash, and keeps a key one emission interval longer than it must (a network
//! limited to one a minute: two minutes). This one keeps each key in one 64-bit word:
//!
//! - 50 bits of the key: 10 pick one of 1,024 shards, 40 are stored. The keys are hashes with
//!   a secret random per process ([`super::Limits`]), so nobody can aim at a collision; a new
//!   key matches a live one with the same 50 bits about once in `2^50 / keys` lookups (at a
//!   million live keys, once in a billion), and is then judged by that one's time: at worst a
//!   signature is held for confirmation, never refused or lost.
//! - in the other 24 bits, the key's theoretical arrival time, in whole units rounded up (so a
//!   key is never judged readier than it is; see [`CompactStore::keyed`]) and read back as the
//!   latest such time at or below the latest time its shard has stored. A unit is a
//!   millisecond for any period up to an hour (longer periods take longer units), so that 2^24
//!   units cover four periods and at least 4.6 hours: the keys must be forgotten more often
//!   than that, and the server does so every few seconds.
//!
//! One lock per shard: signers on two cores almost never wait for each other.

use std::{
    num::NonZeroU32,
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use governor::{
    Quota,
    nanos::Nanos,
    state::{StateStore, keyed::ShrinkableKeyedStateStore},
};
use hashbrown::{HashTable, hash_table::Entry};

const SHARD_BITS: u32 = 10;
const TIME_BITS: u32 = 24;
const TIME_MASK: u64 = (1 << TIME_BITS) - 1;
/// The key bits stored: those below the shard's.
const KEY_BITS: u32 = 64 - TIME_BITS;
const KEY_MASK: u64 = (1 << KEY_BITS) - 1;

/// The state of one keyed limiter (one rate of one policy).
pub struct CompactStore {
    shards: Box<[Mutex<Shard>]>,
    /// Nanoseconds in one stored unit.
    unit: u64,
    /// The quota's emission interval (nanoseconds, whole units): `governor` asks to forget
    /// keys whose time is this much older than now.
    interval: u64,
}

#[derive(Debug, Default)]
struct Shard {
    /// Words of a stored key above its time.
    words: HashTable<u64>,
    /// The latest time stored here, in units.
    latest: u64,
}

impl std::fmt::Debug for CompactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the keys: hashes of who signed.
        f.debug_struct("CompactStore").field("unit", &self.unit).field("interval", &self.interval).finish()
    }
}

impl CompactStore {
    /// The quota of `count` in every `per` and a store for it. The quota's emission interval
    /// (`per / count`) is rounded up to whole units, so that a key's time moves on by whole
    /// units and is rounded once, when it is first stored: a key is judged at most one unit
    /// (a millisecond, for the usual periods) stricter than the exact rate, however long its
    /// burst. A rate of more than one a unit per key is slowed to one a unit.
    pub fn keyed(per: Duration, count: NonZeroU32) -> Option<(Quota, Self)> {
        const MILLI: u128 = 1_000_000;
        // Four periods in 2^24 units, in whole milliseconds.
        let unit = (per.as_nanos() * 4).div_ceil(MILLI << TIME_BITS).max(1) * MILLI;
        let interval = (per.as_nanos() / u128::from(count.get())).div_ceil(unit) * unit;
        let unit = u64::try_from(unit).ok()?;
        let interval = u64::try_from(interval).ok()?;
        let quota = Quota::with_period(Duration::from_nanos(interval))?.allow_burst(count);
        let shards = (0..1 << SHARD_BITS).map(|_| Mutex::default()).collect();
        Some((quota, Self { shards, unit, interval }))
    }

    fn shard(&self, key: u64) -> MutexGuard<'_, Shard> {
        // A panic while a shard was locked leaves no half-made change behind: each change is
        // one word written.
        self.shards[(key >> (64 - SHARD_BITS)) as usize].lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The stored bits of `key`.
fn key_bits(key: u64) -> u64 {
    key & KEY_MASK
}

/// The table's hash of stored key bits (already random): one multiplication spreads them to
/// the high bits the table takes its tags from.
fn spread(bits: u64) -> u64 {
    bits.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A stored time read back: the latest time at or below `latest` whose low bits are `stored`.
fn read(latest: u64, stored: u64) -> u64 {
    latest.saturating_sub(latest.wrapping_sub(stored) & TIME_MASK)
}

impl StateStore for CompactStore {
    type Key = u64;

    fn measure_and_replace<T, F, E>(&self, key: &u64, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let bits = key_bits(*key);
        let mut shard = self.shard(*key);
        let Shard { words, latest } = &mut *shard;
        let entry = words.entry(spread(bits), |w| w >> TIME_BITS == bits, |w| spread(w >> TIME_BITS));
        let before = match &entry {
            Entry::Occupied(e) => {
                Some(Nanos::from(read(*latest, e.get() & TIME_MASK).saturating_mul(self.unit)))
            }
            Entry::Vacant(_) => None,
        };
        let (outcome, next) = f(before)?;
        let next = next.as_u64().div_ceil(self.unit);
        *latest = (*latest).max(next);
        let word = bits << TIME_BITS | next & TIME_MASK;
        match entry {
            Entry::Occupied(mut e) => *e.get_mut() = word,
            Entry::Vacant(e) => {
                e.insert(word);
            }
        }
        Ok(outcome)
    }
}

impl ShrinkableKeyedStateStore<u64> for CompactStore {
    /// Forgets the keys whose time is now or past: `governor` asks for those one interval older
    /// than now, but a key whose time has come is judged as no key at all.
    fn retain_recent(&self, drop_below: Nanos) {
        let below = drop_below.as_u64();
        // Until the first interval is over `governor`'s figure stays at zero, and now is not
        // known from it: forget only what it asks for.
        let now = if below == 0 { 0 } else { below.saturating_add(self.interval) };
        let last = now / self.unit;
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            let latest = shard.latest;
            shard.words.retain(|w| read(latest, *w & TIME_MASK) > last);
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).words.len()).sum()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000_000;
    const MILLI: u64 = 1_000_000;

    fn keyed(per: u64, count: u32) -> CompactStore {
        NonZeroU32::new(count)
            .and_then(|count| CompactStore::keyed(Duration::from_secs(per), count))
            .map(|(_, store)| store)
            .expect("a store")
    }

    fn store() -> CompactStore {
        keyed(60, 1)
    }

    /// Stores `at` for `key` and returns the time stored before.
    fn put(store: &CompactStore, key: u64, at: u64) -> Option<u64> {
        store
            .measure_and_replace(&key, |before| Ok::<_, ()>((before.map(Nanos::as_u64), Nanos::from(at))))
            .unwrap_or(None)
    }

    #[test]
    fn a_time_is_read_back_rounded_up_to_the_millisecond() {
        let store = store();
        assert_eq!(put(&store, 7, 61 * SECOND), None);
        assert_eq!(put(&store, 7, 61 * SECOND + 1), Some(61 * SECOND), "a whole millisecond is exact");
        assert_eq!(put(&store, 7, 62 * SECOND), Some(61 * SECOND + MILLI), "rounded up, never down");
        assert_eq!(put(&store, 8, 5), None, "another key");
        assert_eq!(store.len(), 2);
        // Keys that differ only in bits the store drops are one key.
        assert_eq!(put(&store, 7 | 1 << 45, 9), Some(62 * SECOND));
        // Keys in another shard are other keys, and so are keys that differ in a stored bit.
        assert_eq!(put(&store, 7 | 1 << 63, 9), None);
        assert_eq!(put(&store, 7 | 1 << 39, 9), None);
        assert_eq!(store.len(), 4);
    }

    #[test]
    fn a_refused_try_changes_nothing() {
        let store = store();
        put(&store, 1, 60 * SECOND);
        let refused = store.measure_and_replace(&1, |_| Err::<((), Nanos), _>("over"));
        assert_eq!(refused, Err("over"));
        assert_eq!(put(&store, 1, 0), Some(60 * SECOND));
        let refused = store.measure_and_replace(&2, |_| Err::<((), Nanos), _>("over"));
        assert_eq!(refused, Err("over"));
        assert_eq!(store.len(), 1, "a refused new key is not stored");
    }

    #[test]
    fn times_are_read_back_across_the_wrap_of_their_bits() {
        let store = store();
        // 2^24 ms is 4.66 hours: one time just under it, one past it and a minute later.
        let early = 16_777 * SECOND;
        let later = early + 60 * SECOND;
        assert!(early / MILLI < 1 << 24 && later / MILLI > 1 << 24);
        put(&store, 1, early);
        put(&store, 2, later);
        assert_eq!(put(&store, 1, early), Some(early));
        assert_eq!(put(&store, 2, later), Some(later));
        // Days later, the same.
        let days = 3 * 86_400 * SECOND;
        put(&store, 3, days);
        put(&store, 4, days + 30 * SECOND);
        assert_eq!(put(&store, 3, 0), Some(days));
        assert_eq!(put(&store, 4, 0), Some(days + 30 * SECOND));
    }

    #[test]
    fn keys_are_forgotten_once_their_time_has_come() {
        let store = store();
        put(&store, 1, 100 * SECOND);
        put(&store, 2, 130 * SECOND);
        assert_eq!(store.len(), 2);
        // governor asks to forget what is one interval (60 s) older than now (100 s).
        store.retain_recent(Nanos::from(40 * SECOND));
        assert_eq!(store.len(), 1, "a key due at 100 s is the same as none at 100 s");
        assert_eq!(put(&store, 2, 130 * SECOND), Some(130 * SECOND));
        store.retain_recent(Nanos::from(70 * SECOND - 1));
        assert_eq!(store.len(), 1, "a nanosecond before its time");
        // Before the first interval is over, nothing is known to be past.
        let store = self::store();
        put(&store, 1, 30 * SECOND);
        store.retain_recent(Nanos::from(0));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn a_long_period_is_stored_in_longer_units() {
        assert_eq!(store().unit, MILLI);
        let hour = keyed(3600, 2);
        assert_eq!(hour.unit, MILLI, "an hour: milliseconds");
        let day = keyed(86_400, 24);
        assert_eq!(day.unit, 21 * MILLI, "a day: 21 ms, so that 2^24 of them cover four days");
        let t = 2 * 86_400 * SECOND + 5;
        put(&day, 3, t);
        assert_eq!(put(&day, 3, 0), Some(t.div_ceil(21 * MILLI) * 21 * MILLI));
    }
}
