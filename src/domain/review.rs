//! Abuse review: a petition's recent signatures grouped by hour and by where they came from
//! (the network's keyed hash, the email's domain), and the groups past a threshold, which staff
//! are told of. A burst from one network or one domain is how scripts and sign-up farms show;
//! it is also how fifty nurses on one hospital's Wi-Fi show, so a notice asks a person to look
//! (and, for a real shared site, to mark it), never removes anything by itself.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::signature::Status;

/// One recent signature, as review sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub signed_at: DateTime<Utc>,
    pub network: Option<String>,
    /// The email address's domain, lower case; empty for none (paper signatures).
    pub domain: String,
    pub status: Status,
}

impl Seen {
    /// From a stored signature's fields.
    pub fn new(signed_at: DateTime<Utc>, network: Option<String>, email: &str, status: Status) -> Self {
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_lowercase()).unwrap_or_default();
        Self { signed_at, network, domain, status }
    }
}

/// What a group is grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum By {
    Network,
    Domain,
}

/// The signatures of one hour from one network or one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub by: By,
    /// The network's hash, or the domain.
    pub key: String,
    /// The hour's start.
    pub hour: DateTime<Utc>,
    pub signatures: i64,
    /// Of them: counted, held, waiting for confirmation; the rest were flagged or invalidated.
    pub validated: i64,
    pub held: i64,
    pub pending: i64,
    /// It is at or past its threshold.
    pub notice: bool,
}

/// Signatures from one source in one hour at which a notice is raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub network: i64,
    pub domain: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { network: 20, domain: 50 }
    }
}

/// What review shows: the busiest groups of each kind, and every group past its threshold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Review {
    pub top: Vec<Group>,
    pub notices: Vec<Group>,
}

/// Groups `seen` by hour and network, and by hour and domain (domains for which a count says
/// nothing, such as the large mail providers' as `ignore_domain` says, and none, are left out);
/// each kind busiest first, then newest: at most `top` of each, and every notice.
pub fn review(
    seen: &[Seen],
    thresholds: Thresholds,
    ignore_domain: impl Fn(&str) -> bool,
    top: usize,
) -> Review {
    let all = groups(seen, thresholds, ignore_domain);
    let notices = all.iter().filter(|g| g.notice).cloned().collect();
    let mut kept = Vec::with_capacity(2 * top);
    for by in [By::Network, By::Domain] {
        kept.extend(all.iter().filter(|g| g.by == by).take(top).cloned());
    }
    Review { top: kept, notices }
}

/// Every group of `seen`, each kind busiest first, then newest.
fn groups(seen: &[Seen], thresholds: Thresholds, ignore_domain: impl Fn(&str) -> bool) -> Vec<Group> {
    let mut counted: HashMap<(By, &str, i64), [i64; 4]> = HashMap::new();
    for s in seen {
        let hour = s.signed_at.timestamp().div_euclid(3600);
        let network = s.network.as_deref().map(|n| (By::Network, n));
        let domain =
            (!s.domain.is_empty() && !ignore_domain(&s.domain)).then_some((By::Domain, s.domain.as_str()));
        for (by, key) in [network, domain].into_iter().flatten() {
            let n = counted.entry((by, key, hour)).or_default();
            n[0] += 1;
            match s.status {
                Status::Validated => n[1] += 1,
                Status::Held => n[2] += 1,
                Status::Pending => n[3] += 1,
                Status::Fraudulent | Status::Invalidated => {}
            }
        }
    }
    let mut out: Vec<Group> = counted
        .into_iter()
        .map(|((by, key, hour), [signatures, validated, held, pending])| Group {
            by,
            key: key.to_owned(),
            hour: DateTime::from_timestamp(hour * 3600, 0).unwrap_or_default(),
            signatures,
            validated,
            held,
            pending,
            notice: signatures >= if by == By::Network { thresholds.network } else { thresholds.domain },
        })
        .collect();
    out.sort_by(|a, b| (a.by, b.signatures, b.hour, &a.key).cmp(&(b.by, a.signatures, a.hour, &b.key)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64, m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 / 3600 * 3600 + h * 3600 + m * 60, 0).unwrap_or_default()
    }

    fn seen(h: i64, m: i64, network: &str, email: &str, status: Status) -> Seen {
        Seen::new(at(h, m), Some(network.to_owned()), email, status)
    }

    #[test]
    fn groups_count_per_hour_and_source_and_raise_notices_at_the_threshold() {
        let mut all = Vec::new();
        for m in 0..3 {
            all.push(seen(0, m, "aaaa", &format!("x{m}@Farm.example"), Status::Held));
        }
        all.push(seen(0, 59, "aaaa", "y@gmail.com", Status::Validated));
        all.push(seen(1, 0, "aaaa", "z@farm.example", Status::Pending));
        all.push(seen(1, 5, "bbbb", "w@other.example", Status::Fraudulent));
        all.push(Seen::new(at(1, 6), None, "", Status::Validated));
        let g = groups(&all, Thresholds { network: 4, domain: 3 }, |d| d == "gmail.com");
        let brief: Vec<String> = g
            .iter()
            .map(|g| {
                let figures = [g.signatures, g.validated, g.held, g.pending];
                format!("{:?} {} {} {figures:?} {}", g.by, g.key, g.hour.timestamp(), g.notice)
            })
            .collect();
        let (h0, h1) = (at(0, 0).timestamp(), at(1, 0).timestamp());
        assert_eq!(
            brief,
            [
                format!("Network aaaa {h0} [4, 1, 3, 0] true"),
                format!("Network aaaa {h1} [1, 0, 0, 1] false"),
                format!("Network bbbb {h1} [1, 0, 0, 0] false"),
                format!("Domain farm.example {h0} [3, 0, 3, 0] true"),
                format!("Domain farm.example {h1} [1, 0, 0, 1] false"),
                format!("Domain other.example {h1} [1, 0, 0, 0] false"),
            ]
        );
        let shown = review(&all, Thresholds { network: 1, domain: 1 }, |_| false, 1);
        let top: Vec<(By, i64)> = shown.top.iter().map(|g| (g.by, g.signatures)).collect();
        assert_eq!(top, [(By::Network, 4), (By::Domain, 3)], "the busiest of each kind");
        assert_eq!(shown.notices.len(), 7, "every notice, not only the busiest");
    }
}
