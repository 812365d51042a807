//! Where a keyed limiter keeps its keys: a 64-bit word a key, in tables kept 64% to 80% full
//! while they grow (10 to 12.5 bytes a key), forgotten as soon as forgetting changes nothing.
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
//! A shard's words lie in one array, each at the first free place from where its key's hash
//! points (open addressing, linear probing). A general hash map grows by doubling and, where
//! keys come and go as they do here, leaves markers where keys were that fill it until it
//! doubles again: at 10,000 signatures a second (the benchmark's first row) the limits held
//! 13.7 MB in `hashbrown`'s tables, forgotten every five seconds, and hold 8.4 MB in these,
//! forgotten every two. Here a table grows by a quarter when it is four fifths full, a
//! forgotten key leaves no marker (the words after it move back into place), and a table under
//! a fifth full after a surge shrinks to half full (none at all once it is empty).
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

const SHARD_BITS: u32 = 10;
const TIME_BITS: u32 = 24;
const TIME_MASK: u64 = (1 << TIME_BITS) - 1;
/// The key bits stored: those below the shard's.
const KEY_BITS: u32 = 64 - TIME_BITS;
const KEY_MASK: u64 = (1 << KEY_BITS) - 1;
/// The fewest places a table with any key has (one with none has none).
const MIN_PLACES: usize = 16;

/// The state of one keyed limiter (one rate of one policy).
pub struct CompactStore {
    shards: Box<[Mutex<Shard>]>,
    /// Nanoseconds in one stored unit.
    unit: u64,
    /// The quota's emission interval (nanoseconds, whole units): `governor` asks to forget
    /// keys whose time is this much older than now.
    interval: u64,
}

/// One shard's keys.
#[derive(Default)]
struct Shard {
    /// The words of the keys stored here, each at the first free place (0) at or after its
    /// key's own place ([`home`]), wrapping around; at least one place is always free, so a
    /// search ends.
    places: Box<[u64]>,
    /// Words stored.
    len: usize,
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
        // A panic while a shard was locked leaves no half-made change behind: a word is
        // written, or a table replaced, in one step, and forgetting (many steps) calls nothing
        // that can panic.
        self.shards[(key >> (64 - SHARD_BITS)) as usize].lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The stored bits of `key`, never 0 (a word of 0 marks a free place; a key whose bits are all
/// 0, once in 2^40, is one with the key whose bits are 1).
fn key_bits(key: u64) -> u64 {
    (key & KEY_MASK).max(1)
}

/// The place in a table of `places` where the key with stored bits `bits` is looked for first.
/// The bits are random already: one multiplication spreads them over the high bits, and their
/// share of `places` is the place (any size of table, not only powers of two).
fn home(bits: u64, places: usize) -> usize {
    let spread = bits.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((u128::from(spread) * places as u128) >> 64) as usize
}

/// A stored time read back: the latest time at or below `latest` whose low bits are `stored`.
fn read(latest: u64, stored: u64) -> u64 {
    latest.saturating_sub(latest.wrapping_sub(stored) & TIME_MASK)
}

impl Shard {
    /// Where the key with stored bits `bits` is (`Ok`), or the free place it would take
    /// (`Err`; any place when the table has none).
    fn find(&self, bits: u64) -> Result<usize, usize> {
        if self.places.is_empty() { Err(0) } else { probe(&self.places, bits) }
    }

    /// Writes `word` where [`Shard::find`] said its key is or would go, growing the table
    /// first when one more key would fill it over four fifths.
    fn put(&mut self, found: Result<usize, usize>, word: u64) {
        match found {
            Ok(at) => self.places[at] = word,
            Err(at) => {
                let room = self.places.len();
                if (self.len + 1) * 5 > room * 4 {
                    self.resize((room + room / 4).max(MIN_PLACES));
                    place(&mut self.places, word);
                } else {
                    self.places[at] = word;
                }
                self.len += 1;
            }
        }
    }

    /// The same words in a table of `room` places (more than the words).
    fn resize(&mut self, room: usize) {
        let mut places = vec![0; room].into_boxed_slice();
        for &word in self.places.iter().filter(|w| **w != 0) {
            place(&mut places, word);
        }
        self.places = places;
    }

    /// Keeps the words for which `keep` says so. A word after a forgotten one in the same run
    /// of taken places may have been put past it only because it was taken: it is put again,
    /// so that no search stops at the gap short of it. A table under a fifth full then shrinks
    /// to half full (twice its words, at least [`MIN_PLACES`]), and one with no word left to
    /// nothing.
    fn retain(&mut self, keep: impl Fn(u64) -> bool) {
        let room = self.places.len();
        // Runs of taken places never wrap past a free one: start after one.
        let Some(free) = self.places.iter().position(|w| *w == 0) else { return };
        let mut gap = false;
        for step in 1..room {
            let at = (free + step) % room;
            match self.places[at] {
                0 => gap = false,
                word if !keep(word) => {
                    self.places[at] = 0;
                    self.len -= 1;
                    gap = true;
                }
                // Its first free place from home is now here or before (this one is free
                // once it is taken out), and the words after are not moved yet.
                word if gap => {
                    self.places[at] = 0;
                    place(&mut self.places, word);
                }
                _ => {}
            }
        }
        if self.len == 0 {
            self.places = Box::default();
        } else if self.len * 5 < room && room > MIN_PLACES {
            self.resize((self.len * 2).max(MIN_PLACES));
        }
    }
}

/// Where the key with stored bits `bits` is in `places` (`Ok`), or the first free place from
/// its home (`Err`). `places` has a free place, so the search ends.
fn probe(places: &[u64], bits: u64) -> Result<usize, usize> {
    let mut at = home(bits, places.len());
    loop {
        match places[at] {
            0 => return Err(at),
            word if word >> TIME_BITS == bits => return Ok(at),
            _ => at = if at + 1 == places.len() { 0 } else { at + 1 },
        }
    }
}

/// Puts `word`, whose key is not in `places`, at the first free place from its key's home.
fn place(places: &mut [u64], word: u64) {
    if let Err(at) = probe(places, word >> TIME_BITS) {
        places[at] = word;
    }
}

impl StateStore for CompactStore {
    type Key = u64;

    fn measure_and_replace<T, F, E>(&self, key: &u64, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let bits = key_bits(*key);
        let mut shard = self.shard(*key);
        let found = shard.find(bits);
        let before = found.ok().map(|at| {
            Nanos::from(read(shard.latest, shard.places[at] & TIME_MASK).saturating_mul(self.unit))
        });
        let (outcome, next) = f(before)?;
        let next = next.as_u64().div_ceil(self.unit);
        shard.latest = shard.latest.max(next);
        shard.put(found, bits << TIME_BITS | next & TIME_MASK);
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
            shard.retain(|w| read(latest, w & TIME_MASK) > last);
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len).sum()
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

    /// A small random number generator (xorshift), so that a failure repeats.
    fn numbers(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Keys come and go in one shard as under load (few enough that runs of taken places are
    /// long and wrap past the end), checked against a map after every forgetting: every key
    /// kept is found with its time, none forgotten is, and the count is right.
    #[test]
    fn a_shard_finds_every_key_kept_and_none_forgotten() {
        use std::collections::HashMap;

        let mut next = numbers(0x1234_5678_9ABC_DEF1);
        let pool: Vec<u64> = (0..2_000).map(|_| key_bits(next())).collect();
        let mut shard = Shard::default();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut wrapped = false;
        for now in 1..=60_000_u64 {
            let bits = pool[(next() % 2_000) as usize];
            // Times a little ahead of now, as a limiter's are.
            let time = now + next() % 1_500;
            shard.put(shard.find(bits), bits << TIME_BITS | time);
            model.insert(bits, time);
            // A run of taken places across the end of the table.
            wrapped |= shard.places.first().zip(shard.places.last()).is_some_and(|(a, z)| *a != 0 && *z != 0);
            if now.is_multiple_of(331) {
                shard.retain(|w| w & TIME_MASK > now);
                model.retain(|_, t| *t > now);
                assert_eq!(shard.len, model.len(), "at {now}");
                assert_eq!(shard.places.iter().filter(|w| **w != 0).count(), shard.len);
                for (bits, time) in &model {
                    let found = shard.find(*bits).map(|at| shard.places[at] & TIME_MASK);
                    assert_eq!(found, Ok(*time), "key {bits} at {now}");
                }
                for bits in pool.iter().filter(|b| !model.contains_key(b)) {
                    assert!(shard.find(*bits).is_err(), "key {bits} forgotten at {now}, or never stored");
                }
                assert!(shard.len * 5 <= shard.places.len() * 4, "over four fifths full");
            }
        }
        assert!(wrapped, "no run of taken places wrapped past the end");
        // All forgotten: the room goes back, all of it.
        shard.retain(|_| false);
        assert_eq!((shard.len, shard.places.len()), (0, 0));
    }

    /// Four keys whose place is the last of a small table take it and the first three; when
    /// the one at the end is forgotten, the next moves back into its place and all are found.
    #[test]
    fn a_run_across_the_end_of_the_table_closes_up_when_a_key_is_forgotten() {
        let mut shard = Shard::default();
        let last = (1..).filter(|b| home(*b, MIN_PLACES) == MIN_PLACES - 1).take(4).collect::<Vec<u64>>();
        for (time, bits) in (1..).zip(&last) {
            shard.put(shard.find(*bits), bits << TIME_BITS | time);
        }
        assert_eq!(shard.places.len(), MIN_PLACES);
        let at = |shard: &Shard, bits: u64| shard.find(bits).ok();
        assert_eq!(
            last.iter().map(|b| at(&shard, *b)).collect::<Vec<_>>(),
            [Some(15), Some(0), Some(1), Some(2)]
        );
        // The first (time 1) forgotten: the second moves back to the end, the others follow.
        shard.retain(|w| w & TIME_MASK > 1);
        assert_eq!(at(&shard, last[0]), None);
        assert_eq!(
            last[1..].iter().map(|b| at(&shard, *b)).collect::<Vec<_>>(),
            [Some(15), Some(0), Some(1)]
        );
        assert_eq!(shard.places[2], 0);
    }

    #[test]
    fn a_table_grows_by_a_quarter_and_gives_room_back_after_a_surge() {
        let mut shard = Shard::default();
        for bits in 1..=1_000 {
            shard.put(shard.find(bits), bits << TIME_BITS | bits);
        }
        let room = shard.places.len();
        assert!(room * 4 >= 1_000 * 5 && room * 16 <= 1_000 * 25, "{room} places for 1,000 keys");
        // Half forgotten: the room is kept for the next keys.
        shard.retain(|w| w & TIME_MASK > 500);
        assert_eq!((shard.len, shard.places.len()), (500, room));
        // Under a fifth left: half of the table is free after it gives room back.
        shard.retain(|w| w & TIME_MASK > 900);
        assert_eq!((shard.len, shard.places.len()), (100, 200));
        for bits in 901..=1_000 {
            assert!(shard.find(bits).is_ok());
        }
    }
}
