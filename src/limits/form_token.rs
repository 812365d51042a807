//! The signing form's issued-at token: every form served carries the second it was served in,
//! signed with a key derived from the instance secret (so any instance can check another's).
//! A form sent back sooner than a person could fill it in (`FORM_MIN_SECONDS`), long after it
//! was served (`FORM_MAX_HOURS`), without a token or with a forged one, is held like a signature
//! over a limit: its signer, if a person, confirms by email and counts. Nobody is refused, and
//! nothing on the page says anything.
//!
//! Every form served within one second carries the same token, so the pages that hold it are
//! rendered once a second at most, not once a visitor.

use std::{
    sync::RwLock,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Bytes of the MAC kept in a token (96 bits: forging one is guessing).
const MAC_BYTES: usize = 12;

/// What a form's token says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timing {
    /// Sent back between the shortest and the longest time (or the check is off).
    Fine,
    Missing,
    Forged,
    TooFast,
    Stale,
}

/// Issues and checks tokens.
pub struct FormTokens {
    mac: Hmac<Sha256>,
    min: Duration,
    max: Duration,
    /// The token of the current second.
    current: RwLock<(u64, String)>,
}

impl std::fmt::Debug for FormTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormTokens").field("min", &self.min).field("max", &self.max).finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch.
pub fn now_second() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl FormTokens {
    /// Tokens signed with a key derived from `secret`; a form is fine from `min` to `max` after it
    /// was served (zero: no bound on that side; both zero: no token is asked for).
    pub fn new(secret: &[u8], min: Duration, max: Duration) -> Self {
        let mut derive =
            <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes keys of any length");
        derive.update(b"undersigned signing form token");
        let key = derive.finalize().into_bytes();
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes keys of any length");
        Self { mac, min, max, current: RwLock::new((0, String::new())) }
    }

    /// Whether forms carry a token at all.
    pub fn enabled(&self) -> bool {
        !(self.min.is_zero() && self.max.is_zero())
    }

    fn sign(&self, second: u64) -> [u8; MAC_BYTES] {
        let mut mac = self.mac.clone();
        mac.update(&second.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let mut out = [0; MAC_BYTES];
        out.copy_from_slice(&full[..MAC_BYTES]);
        out
    }

    /// The token for forms served in `second` (empty when the check is off).
    pub fn issue(&self, second: u64) -> String {
        if !self.enabled() {
            return String::new();
        }
        if let Ok(current) = self.current.read()
            && current.0 == second
        {
            return current.1.clone();
        }
        let token = format!("{second}.{}", hex::encode(self.sign(second)));
        if let Ok(mut current) = self.current.write()
            && current.0 < second
        {
            *current = (second, token.clone());
        }
        token
    }

    /// The second a genuine `token` was issued in.
    fn issued(&self, token: &str) -> Option<u64> {
        let (second, mac) = token.trim().split_once('.')?;
        let second: u64 = second.parse().ok()?;
        let mac = hex::decode(mac).ok().filter(|m| m.len() == MAC_BYTES)?;
        let expected = self.sign(second);
        // Compared in constant time.
        let differs = expected.iter().zip(&mac).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        (differs == 0).then_some(second)
    }

    /// What `token`, sent back in second `now`, says about its form.
    pub fn check(&self, token: &str, now: u64) -> Timing {
        if !self.enabled() {
            return Timing::Fine;
        }
        if token.trim().is_empty() {
            return Timing::Missing;
        }
        let Some(issued) = self.issued(token) else { return Timing::Forged };
        // A token from a process whose clock runs ahead reads as younger, never as stale.
        let age = Duration::from_secs(now.saturating_sub(issued));
        if !self.min.is_zero() && age < self.min {
            Timing::TooFast
        } else if !self.max.is_zero() && age > self.max {
            Timing::Stale
        } else {
            Timing::Fine
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> FormTokens {
        FormTokens::new(
            b"a secret of the instance, 32+ bytes",
            Duration::from_secs(2),
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn a_form_is_fine_between_the_shortest_and_the_longest_time() {
        let t = tokens();
        let token = t.issue(1_000);
        assert_eq!(t.issue(1_000), token, "one token a second");
        assert_eq!(t.check(&token, 1_000), Timing::TooFast);
        assert_eq!(t.check(&token, 1_001), Timing::TooFast);
        assert_eq!(t.check(&token, 1_002), Timing::Fine);
        assert_eq!(t.check(&token, 4_600), Timing::Fine);
        assert_eq!(t.check(&token, 4_601), Timing::Stale);
        // Issued by a process whose clock runs ahead.
        assert_eq!(t.check(&t.issue(1_010), 1_005), Timing::TooFast);
    }

    #[test]
    fn missing_altered_and_foreign_tokens_are_told_apart() {
        let t = tokens();
        let token = t.issue(1_000);
        assert_eq!(t.check("", 2_000), Timing::Missing);
        let (second, mac) = token.split_once('.').expect("a dot");
        // An earlier second with the same MAC: as if the form had waited longer.
        assert_eq!(t.check(&format!("{}.{mac}", 990), 2_000), Timing::Forged);
        assert_eq!(t.check(&format!("{second}.{}", "0".repeat(24)), 2_000), Timing::Forged);
        assert_eq!(t.check("nonsense", 2_000), Timing::Forged);
        assert_eq!(t.check(&format!("{second}.{mac}00"), 2_000), Timing::Forged);
        let other =
            FormTokens::new(b"another instance's secret, 32 bytes", Duration::from_secs(2), Duration::ZERO);
        assert_eq!(other.check(&token, 2_000), Timing::Forged);
        assert_eq!(t.check(&token, 2_000), Timing::Fine);
    }

    #[test]
    fn with_both_bounds_zero_no_token_is_asked_for() {
        let off = FormTokens::new(b"a secret of the instance, 32+ bytes", Duration::ZERO, Duration::ZERO);
        assert_eq!(off.issue(1_000), "");
        assert_eq!(off.check("", 1_000), Timing::Fine);
        assert_eq!(off.check("forged", 1_000), Timing::Fine);
    }
}
