//! Limits on signing, as named policies (each a list of rates such as `1/1m,5/5m`, overridable
//! by configuration):
//!
//! - `network`: signatures per client network (an IPv4 address, an IPv6 /64) per petition;
//! - `domain`: signatures per email domain per petition (the large mail providers are left
//!   out: half a campaign signs from them);
//! - `email`: signatures per canonical address, over every petition;
//! - `flood`: signatures per second over the whole server;
//! - `disposable`: an address at a disposable email domain ([`DomainList`]).
//!
//! Going over `network`, `domain` or `email` does not refuse anyone: the signature is *held*
//! (not counted) and its signer is emailed a confirmation link, so fifty nurses on one
//! hospital's Wi-Fi all count once they confirm, and a script's thousand made-up addresses
//! never do. Going over `flood` is refused with `429` and `Retry-After`.
//!
//! The limits are kept in memory (GCRA, by `governor`), per process; on PostgreSQL with several
//! processes the network and domain limits are also checked in the database (`db::writer`).

mod disposable;
mod form_token;
mod store;

use std::{hash::Hash, net::IpAddr, num::NonZeroU32, time::Duration};

pub use disposable::DomainList;
pub use form_token::{FormTokens, Timing, now_second};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    middleware::NoOpMiddleware,
    state::{InMemoryState, NotKeyed},
};
use store::CompactStore;

/// One rate: at most `count` in any `per` (as a burst of `count`, refilled evenly over `per`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub per: Duration,
}

impl Rate {
    /// `5/5m`, `1/1m`, `100/1h`, `2000/1s`: a count, a slash and a period in seconds (`s`),
    /// minutes (`m`), hours (`h`) or days (`d`).
    pub fn parse(s: &str) -> Option<Self> {
        let (count, per) = s.trim().split_once('/')?;
        let count: u32 = count.trim().parse().ok().filter(|n| *n > 0)?;
        let per = per.trim();
        let (n, unit) = per.split_at(per.find(|c: char| !c.is_ascii_digit())?);
        let n: u64 = if n.is_empty() { 1 } else { n.parse().ok().filter(|n| *n > 0)? };
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        let per = Duration::from_secs(n.checked_mul(seconds).filter(|s| *s <= Self::LONGEST_SECONDS)?);
        // A rate so fine that its interval rounds to nothing would limit nothing.
        (!(per / count).is_zero()).then_some(Self { count, per })
    }

    /// The longest period a rate may have: a year and a day (longer ones would outlast the
    /// clocks the limits count with, and no campaign runs that long).
    pub const LONGEST_SECONDS: u64 = 366 * 86_400;

    /// A list of rates separated by commas (`1/1m,5/5m`); `off` or an empty list for none.
    pub fn parse_list(s: &str) -> Option<Vec<Self>> {
        if s.trim().eq_ignore_ascii_case("off") {
            return Some(Vec::new());
        }
        s.split(',').filter(|r| !r.trim().is_empty()).map(Self::parse).collect()
    }

    fn quota(self) -> Option<Quota> {
        let burst = NonZeroU32::new(self.count)?;
        Quota::with_period(self.per / self.count).map(|q| q.allow_burst(burst))
    }

    /// Whether everything this rate allows, `other` allows too (`other` then adds nothing):
    /// `1/1m` implies `5/5m`, which refills as fast and allows a larger burst.
    fn implies(self, other: Self) -> bool {
        self.count <= other.count && self.per / self.count >= other.per / other.count
    }
}

/// The rates that add something: one implied by a stricter one is left out (each is a map of
/// every recent key, kept for nothing).
fn effective(rates: &[Rate]) -> Vec<Quota> {
    effective_rates(rates).into_iter().filter_map(Rate::quota).collect()
}

fn effective_rates(rates: &[Rate]) -> Vec<Rate> {
    rates
        .iter()
        .enumerate()
        .filter(|&(i, r)| {
            !rates.iter().enumerate().any(|(j, s)| j != i && s.implies(*r) && (!r.implies(*s) || j < i))
        })
        .map(|(_, r)| *r)
        .collect()
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.per.as_secs();
        let (n, unit) = match s {
            _ if s.is_multiple_of(86_400) => (s / 86_400, "d"),
            _ if s.is_multiple_of(3600) => (s / 3600, "h"),
            _ if s.is_multiple_of(60) => (s / 60, "m"),
            _ => (s, "s"),
        };
        write!(f, "{}/{n}{unit}", self.count)
    }
}

/// The policies' rates (`LIMIT_NETWORK`, `LIMIT_DOMAIN`, `LIMIT_EMAIL`, `LIMIT_FLOOD`) and the
/// disposable domains (`DISPOSABLE_DOMAINS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitSettings {
    pub network: Vec<Rate>,
    pub domain: Vec<Rate>,
    pub email: Vec<Rate>,
    pub flood: Vec<Rate>,
    pub disposable: DomainList,
    /// A form sent back sooner than this after it was served is held (`FORM_MIN_SECONDS`).
    pub form_min: Duration,
    /// A form sent back later than this after it was served is held (`FORM_MAX_HOURS`).
    pub form_max: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        let rates = |s: &str| Rate::parse_list(s).unwrap_or_default();
        Self {
            // UK Parliament's petitions: one a minute, five in five minutes, from one address.
            network: rates("1/1m,5/5m"),
            domain: rates("50/10m"),
            email: rates("5/1m"),
            // Above what one process can store (about 20,000 a second on SQLite): a guard
            // against a flood queueing behind the writer, not a limit on a busy hour.
            flood: rates("20000/1s"),
            disposable: DomainList::built_in(),
            // Name, email and postal code take a person longer than two seconds, even with the
            // browser filling them in.
            form_min: Duration::from_secs(2),
            form_max: Duration::from_secs(48 * 3600),
        }
    }
}

/// Why a signature was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Network,
    Domain,
    Email,
    /// An address at a disposable email domain.
    Disposable,
    /// A form sent back too soon or too late after it was served, or without its token.
    Form,
    /// A form whose human check failed, was missing or could not be verified.
    Captcha,
}

impl Held {
    pub fn name(self) -> &'static str {
        match self {
            Self::Network => "network",
            Self::Domain => "domain",
            Self::Email => "email",
            Self::Disposable => "disposable",
            Self::Form => "form",
            Self::Captcha => "captcha",
        }
    }
}

/// How often the server calls [`Limits::forget_stale`]: often enough that the keys of a surge,
/// kept for their period, are not kept much longer (a table for 62 seconds of keys where one
/// for 60 would do), seldom enough that going over every table costs little.
pub const FORGET_EVERY: Duration = Duration::from_secs(2);

type Keyed<C> = RateLimiter<u64, CompactStore, C, NoOpMiddleware<<C as Clock>::Instant>>;
type Direct<C> = RateLimiter<NotKeyed, InMemoryState, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// The limiters, shared by every request. Keys are 64-bit hashes (with a key random per
/// process) of what they count: under load each limiter holds every key seen within its
/// period, so a key's size is the memory's ([`store`]: a 64-bit word).
pub struct Limits<C: Clock = DefaultClock> {
    network: Vec<Keyed<C>>,
    domain: Vec<Keyed<C>>,
    email: Vec<Keyed<C>>,
    flood: Vec<Direct<C>>,
    disposable: DomainList,
    clock: C,
    hasher: std::hash::RandomState,
}

impl<C: Clock> std::fmt::Debug for Limits<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits").field("network", &self.network.len()).finish_non_exhaustive()
    }
}

impl Limits<DefaultClock> {
    pub fn new(settings: &LimitSettings) -> Self {
        Self::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limits<C> {
    /// Limits on `clock` (a fake one in tests).
    pub fn with_clock(settings: &LimitSettings, clock: C) -> Self {
        let keyed = |rates: &[Rate]| -> Vec<Keyed<C>> {
            effective_rates(rates)
                .into_iter()
                .filter_map(|r| CompactStore::keyed(r.per, NonZeroU32::new(r.count)?))
                .map(|(quota, store)| RateLimiter::new(quota, store, clock.clone()))
                .collect()
        };
        Self {
            network: keyed(&settings.network),
            domain: keyed(&settings.domain),
            email: keyed(&settings.email),
            flood: effective(&settings.flood)
                .into_iter()
                .map(|q| RateLimiter::direct_with_clock(q, clock.clone()))
                .collect(),
            disposable: settings.disposable.clone(),
            clock,
            hasher: std::hash::RandomState::new(),
        }
    }

    /// Lets go of the keys whose limits are all refilled (every [`FORGET_EVERY`], from a
    /// timer). A table keeps the room they took for the next keys while it is a fifth full or
    /// more; below that it shrinks to half full, and an empty one gives all back (see [`store`]).
    pub fn forget_stale(&self) {
        for limiter in self.network.iter().chain(&self.domain).chain(&self.email) {
            limiter.retain_recent();
        }
    }

    /// Keys held now, over every limiter.
    pub fn keys(&self) -> usize {
        self.network.iter().chain(&self.domain).chain(&self.email).map(RateLimiter::len).sum()
    }

    fn key(&self, what: impl Hash) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(what)
    }

    /// One more signature over the whole server: `Err(wait)` when there are too many now.
    pub fn flood(&self) -> Result<(), Duration> {
        for limiter in &self.flood {
            if let Err(not_until) = limiter.check() {
                return Err(not_until.wait_time_from(self.clock.now()));
            }
        }
        Ok(())
    }

    /// One more signature on petition `petition_id` from `ip` as `canonical` (whose domain is
    /// `domain`): `Some` policy it goes over, and then it is held. Every policy counts it. An
    /// address in a known shared site of the petition (`shared`) has no network limit there.
    pub fn check(
        &self,
        petition_id: i64,
        ip: IpAddr,
        shared: bool,
        canonical: &str,
        domain: &str,
    ) -> Option<Held> {
        let mut held = None;
        if !shared && !allow(&self.network, self.key((petition_id, network_of(ip)))) {
            held = Some(Held::Network);
        }
        if !is_common_provider(domain) && !allow(&self.domain, self.key((petition_id, domain))) {
            held = held.or(Some(Held::Domain));
        }
        if !allow(&self.email, self.key(canonical)) {
            held = held.or(Some(Held::Email));
        }
        if self.disposable.contains(domain) {
            held = held.or(Some(Held::Disposable));
        }
        held
    }
}

/// Counts one on each of `limiters` (all of them, so a held signature still uses up its
/// share): whether every one allowed it.
fn allow<C: Clock>(limiters: &[Keyed<C>], key: u64) -> bool {
    let mut ok = true;
    for limiter in limiters {
        ok &= limiter.check_key(&key).is_ok();
    }
    ok
}

/// The network an address belongs to: an IPv4 address itself, an IPv6 address's /64 (one
/// household or device usually has a whole /64 and can pick any address in it).
pub fn network_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::from(octets)
        }
        v4 => v4,
    }
}

/// Mail providers too large for a per-domain limit to tell anything.
const COMMON_PROVIDERS: [&str; 24] = [
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.es",
    "yahoo.com.mx",
    "ymail.com",
    "outlook.com",
    "outlook.es",
    "hotmail.com",
    "hotmail.es",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
    "comcast.net",
    "att.net",
    "verizon.net",
    "sbcglobal.net",
];

pub fn is_common_provider(domain: &str) -> bool {
    COMMON_PROVIDERS.contains(&domain)
}

/// The time to judge a try at, which came after `before` (oldest first): `now`, or the last
/// of `before` if that is later. Batches are judged one after another, but a batch's clock can
/// read earlier than a try stored just before it: another process read its clock later, or
/// this batch read its own before waiting its turn. Judged at its own time, the try would seem
/// to come before ones it came after, and be held within its rate.
pub fn judged_at(
    before: &[chrono::DateTime<chrono::Utc>],
    now: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::Utc> {
    before.last().map_or(now, |last| now.max(*last))
}

/// Whether one more try at `now` keeps to every rate, given every try that counts before it
/// (oldest first; the limiters count every try, let through or not, and the database's check
/// passes only signatures let through): the rule the in-memory limiters keep (GCRA: a
/// burst of `count`, then one every `per / count`; each rate counts a try it lets through,
/// even one another rate stops), replayed from stored rows, as the database's check of a
/// network's signatures does for server processes that cannot see each other's limiters.
pub fn conforms(
    rates: &[Rate],
    before: &[chrono::DateTime<chrono::Utc>],
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    // The rates the limiters keep: one implied by a stricter one has none.
    effective_rates(rates).iter().all(|rate| {
        let Ok(per) = chrono::Duration::from_std(rate.per) else { return true };
        let interval = per / i32::try_from(rate.count).unwrap_or(i32::MAX);
        // A try is let through if it comes no earlier than `per - interval` before the time the
        // next one is due, and then moves that time on by one interval.
        let fits =
            |due: Option<chrono::DateTime<chrono::Utc>>, at| due.is_none_or(|d| d <= at + (per - interval));
        let due = before.iter().fold(None, |due, at| {
            if fits(due, *at) {
                Some(due.map_or(*at, |d: chrono::DateTime<chrono::Utc>| d.max(*at)) + interval)
            } else {
                due
            }
        });
        fits(due, now)
    })
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limits(settings: LimitSettings) -> (Limits<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (Limits::with_clock(&settings, clock.clone()), clock)
    }

    #[test]
    fn rates_parse_and_print() {
        assert_eq!(Rate::parse("5/5m"), Some(Rate { count: 5, per: Duration::from_secs(300) }));
        assert_eq!(Rate::parse(" 1 / 1m "), Some(Rate { count: 1, per: Duration::from_secs(60) }));
        assert_eq!(Rate::parse("100/h"), Some(Rate { count: 100, per: Duration::from_secs(3600) }));
        assert_eq!(Rate::parse("2000/1s").map(|r| r.to_string()), Some("2000/1s".into()));
        assert_eq!(Rate::parse("3/2d").map(|r| r.to_string()), Some("3/2d".into()));
        assert_eq!(Rate::parse("1/366d").map(|r| r.to_string()), Some("1/366d".into()));
        assert_eq!(Rate::parse("1000000000/1s").map(|r| r.count), Some(1_000_000_000));
        for bad in [
            "",
            "5",
            "0/1m",
            "5/0m",
            "5/1w",
            "-1/1m",
            "5/m1",
            "a/1m",
            "5/99999999999999999d",
            "1/367d",
            "1/9000h",
            "1000000001/1s",
        ] {
            assert_eq!(Rate::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Rate::parse_list("off"), Some(Vec::new()));
        assert_eq!(Rate::parse_list("1/1m, 5/5m").map(|l| l.len()), Some(2));
        assert_eq!(Rate::parse_list("1/1m,nonsense"), None);
    }

    #[test]
    fn one_network_is_held_past_one_a_minute_and_five_in_five_minutes() {
        let (limits, clock) = limits(LimitSettings::default());
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        let check = |i: u32| limits.check(1, ip, false, &format!("n{i}@example.org"), "example.org");
        assert_eq!(check(0), None);
        assert_eq!(check(1), Some(Held::Network), "a second within the minute");
        // Another petition, another network: their own allowance.
        assert_eq!(limits.check(2, ip, false, "x@example.org", "example.org"), None);
        assert_eq!(
            limits.check(1, "203.0.113.8".parse().expect("ip"), false, "y@example.org", "example.org"),
            None
        );
        clock.advance(Duration::from_secs(61));
        assert_eq!(check(2), None, "a minute later");

        // Five in five minutes alone: five at once, then one a minute.
        let five =
            LimitSettings { network: Rate::parse_list("5/5m").expect("rates"), ..LimitSettings::default() };
        let (limits, clock) = self::limits(five);
        let check = |i: u32| limits.check(1, ip, false, &format!("n{i}@example.org"), "example.org");
        for i in 0..5 {
            assert_eq!(check(i), None);
        }
        assert_eq!(check(5), Some(Held::Network), "a sixth within five minutes");
        clock.advance(Duration::from_secs(60));
        assert_eq!(check(6), None);
        assert_eq!(check(7), Some(Held::Network));
    }

    #[test]
    fn an_ipv6_network_is_its_64_and_a_shared_site_has_no_network_limit() {
        let (limits, _) = limits(LimitSettings::default());
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        assert_eq!(limits.check(1, a, false, "a@example.org", "example.org"), None);
        assert_eq!(limits.check(1, b, false, "b@example.org", "example.org"), Some(Held::Network));
        let mapped: IpAddr = "::ffff:198.51.100.1".parse().expect("ip");
        assert_eq!(network_of(mapped), "198.51.100.1".parse::<IpAddr>().expect("ip"));
        for i in 0..40 {
            let email = format!("nurse{i}@hospital.example");
            assert_eq!(
                limits.check(1, "198.51.100.1".parse().expect("ip"), true, &email, "hospital.example"),
                None
            );
        }
    }

    #[test]
    fn domains_and_addresses_have_their_own_limits() {
        let settings = LimitSettings {
            network: Vec::new(),
            domain: Rate::parse_list("3/10m").expect("rates"),
            email: Rate::parse_list("2/1h").expect("rates"),
            flood: Vec::new(),
            disposable: DomainList::none(),
            ..LimitSettings::default()
        };
        let (limits, clock) = limits(settings);
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        for i in 0..3 {
            assert_eq!(limits.check(1, ip, false, &format!("u{i}@spam.example"), "spam.example"), None);
        }
        assert_eq!(limits.check(1, ip, false, "u3@spam.example", "spam.example"), Some(Held::Domain));
        assert_eq!(limits.check(2, ip, false, "u4@spam.example", "spam.example"), None, "per petition");
        // The large providers are not limited by domain.
        for i in 0..10 {
            assert_eq!(limits.check(1, ip, false, &format!("p{i}@gmail.com"), "gmail.com"), None);
        }
        // One address over many petitions.
        assert_eq!(limits.check(10, ip, false, "one@gmail.com", "gmail.com"), None);
        assert_eq!(limits.check(11, ip, false, "one@gmail.com", "gmail.com"), None);
        assert_eq!(limits.check(12, ip, false, "one@gmail.com", "gmail.com"), Some(Held::Email));
        clock.advance(Duration::from_secs(3600));
        assert_eq!(limits.check(13, ip, false, "one@gmail.com", "gmail.com"), None);
    }

    #[test]
    fn a_rate_implied_by_a_stricter_one_keeps_no_map() {
        let count = |s: &str| effective(&Rate::parse_list(s).expect("rates")).len();
        assert_eq!(count("1/1m,5/5m"), 1, "one a minute never makes five in five minutes");
        assert_eq!(count("2/1m,5/5m"), 2);
        assert_eq!(count("5/5m,5/5m"), 1, "the same twice");
        assert_eq!(count("10/1h,1/1m"), 2);
        let (limits, _) = limits(LimitSettings::default());
        assert_eq!(limits.network.len(), 1);
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        for i in 0..100 {
            limits.check(1, ip, false, &format!("k{i}@gmail.com"), "gmail.com");
        }
        assert_eq!(limits.keys(), 101, "one network, a hundred addresses");
    }

    #[test]
    fn keys_are_forgotten_as_soon_as_their_rate_has_refilled_and_not_before() {
        let (limits, clock) = limits(LimitSettings::default());
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        clock.advance(Duration::from_secs(5));
        assert_eq!(limits.check(1, ip, false, "a@gmail.com", "gmail.com"), None);
        assert_eq!(limits.keys(), 2, "the network's and the address's");
        // The address may sign five a minute: one is refilled after 12 s.
        clock.advance(Duration::from_secs(11));
        limits.forget_stale();
        assert_eq!(limits.keys(), 2);
        clock.advance(Duration::from_secs(1));
        limits.forget_stale();
        assert_eq!(limits.keys(), 1, "the address at 12 s");
        // The network, one a minute: still held until the minute is over, forgotten then.
        clock.advance(Duration::from_secs(47));
        limits.forget_stale();
        assert_eq!(limits.check(1, ip, false, "b@gmail.com", "gmail.com"), Some(Held::Network));
        clock.advance(Duration::from_secs(1));
        limits.forget_stale();
        assert_eq!(limits.keys(), 1, "b's address, only");
        assert_eq!(limits.check(1, ip, false, "c@gmail.com", "gmail.com"), None);
    }

    #[test]
    fn a_whole_burst_is_let_through_whatever_its_rate() {
        // 333.3 ms between tries: stored in whole milliseconds, the burst must not lose one.
        let settings = LimitSettings {
            network: Vec::new(),
            domain: Rate::parse_list("3/1s").expect("rates"),
            ..LimitSettings::default()
        };
        let (limits, clock) = limits(settings);
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        clock.advance(Duration::from_secs(5));
        for i in 0..3 {
            assert_eq!(
                limits.check(1, ip, false, &format!("b{i}@burst.example"), "burst.example"),
                None,
                "{i}"
            );
        }
        assert_eq!(limits.check(1, ip, false, "b3@burst.example", "burst.example"), Some(Held::Domain));
        // One back a third of a second (and a millisecond) later.
        clock.advance(Duration::from_millis(335));
        assert_eq!(limits.check(1, ip, false, "b4@burst.example", "burst.example"), None);
    }

    #[test]
    fn a_disposable_address_is_held_from_anywhere() {
        let (limits, _) = limits(LimitSettings::default());
        let ip: IpAddr = "203.0.113.7".parse().expect("ip");
        assert_eq!(limits.check(1, ip, true, "x@mailinator.com", "mailinator.com"), Some(Held::Disposable));
        let other: IpAddr = "203.0.113.9".parse().expect("ip");
        assert_eq!(limits.check(1, other, false, "y@example.org", "example.org"), None);
        let off = LimitSettings { disposable: DomainList::none(), ..LimitSettings::default() };
        let (limits, _) = self::limits(off);
        assert_eq!(limits.check(1, ip, false, "x@mailinator.com", "mailinator.com"), None);
    }

    #[test]
    fn a_flood_is_refused_with_the_time_to_wait() {
        let settings =
            LimitSettings { flood: Rate::parse_list("3/1s").expect("rates"), ..LimitSettings::default() };
        let (limits, clock) = limits(settings);
        for _ in 0..3 {
            assert_eq!(limits.flood(), Ok(()));
        }
        let wait = limits.flood().expect_err("a fourth within the second");
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(334), "{wait:?}");
        clock.advance(wait);
        assert_eq!(limits.flood(), Ok(()));
        let none = LimitSettings { flood: Vec::new(), ..LimitSettings::default() };
        let (limits, _) = self::limits(none);
        for _ in 0..10_000 {
            assert_eq!(limits.flood(), Ok(()));
        }
    }

    #[test]
    fn stored_times_are_judged_as_the_limiters_judge() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let at = |s: i64| t0 + chrono::Duration::seconds(s);
        let rates = |s: &str| Rate::parse_list(s).unwrap_or_default();
        // One a minute.
        assert!(conforms(&rates("1/1m"), &[], at(0)));
        assert!(!conforms(&rates("1/1m"), &[at(0)], at(59)));
        assert!(conforms(&rates("1/1m"), &[at(0)], at(60)));
        // A burst of five, then one a minute.
        let five = [at(0), at(1), at(2), at(3), at(4)];
        assert!(conforms(&rates("5/5m"), &five[..4], at(5)));
        assert!(!conforms(&rates("5/5m"), &five, at(30)));
        assert!(conforms(&rates("5/5m"), &five, at(61)));
        // Every rate holds; none is no limit.
        assert!(!conforms(&rates("5/5m,1/1m"), &[at(0)], at(30)));
        // A try stopped does not count against its own rate.
        assert!(conforms(&rates("1/1m"), &[at(0), at(30)], at(60)));
        assert!(conforms(&rates("off"), &five, at(5)));
        // The same as the limiter itself, over sequences of tries (the defaults, where one
        // rate implies the other, among them).
        for (list, times) in [
            ("2/1m,3/10m", &[0, 5, 10, 40, 70, 100, 200, 330, 400, 700, 701, 702][..]),
            ("1/1m,5/5m", &[0, 10, 15, 15, 25, 110, 165, 175][..]),
            ("1/1m,5/5m", &[0, 40, 90, 110, 155, 200, 235, 280, 305][..]),
        ] {
            let clock = FakeRelativeClock::default();
            let settings = LimitSettings { network: rates(list), ..LimitSettings::default() };
            let limits = Limits::with_clock(&settings, clock.clone());
            let ip: IpAddr = "192.0.2.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
            let (mut tries, mut last) = (Vec::new(), 0);
            for (n, s) in times.iter().copied().enumerate() {
                clock.advance(Duration::from_secs(s - last));
                last = s;
                let judged = conforms(&settings.network, &tries, at(s as i64));
                let limited = limits.check(1, ip, false, &format!("a{n}@x.example"), "x.example")
                    == Some(Held::Network);
                assert_eq!(judged, !limited, "{list} at {s} s");
                tries.push(at(s as i64));
            }
        }
    }

    #[test]
    fn a_batch_whose_clock_read_earlier_is_judged_after_the_tries_before_it() {
        let t0 = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let rates = Rate::parse_list("3/10m").unwrap_or_default();
        // Another server stored two tries at t0 + 5 ms; this batch read its clock at t0 + 3 ms,
        // then waited its turn. Its first try is the third of three allowed, its second is over.
        let mut tries = vec![t0 + chrono::Duration::milliseconds(5); 2];
        let now = t0 + chrono::Duration::milliseconds(3);
        assert!(!conforms(&rates, &tries, now), "judged at its own time, it would be held");
        let at = judged_at(&tries, now);
        assert_eq!(at, tries[1]);
        assert!(conforms(&rates, &tries, at));
        tries.push(at);
        assert!(!conforms(&rates, &tries, judged_at(&tries, now)));
        // A later clock is its own time.
        let later = t0 + chrono::Duration::seconds(1);
        assert_eq!(judged_at(&tries, later), later);
        assert_eq!(judged_at(&[], now), now);
    }
}
