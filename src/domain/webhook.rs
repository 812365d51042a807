//! Webhooks: the events an endpoint can receive, what it may see of them, how each delivery is
//! signed, which addresses an endpoint may have, and how long to wait before trying again.

use std::{
    net::{IpAddr, Ipv4Addr},
    time::Duration,
};

use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use rand::Rng;
use serde_json::json;
use sha2::Sha256;
use url::Url;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// A signature was stored (not one flagged as a bot's).
    SignatureCreated,
    /// A signer confirmed their email address.
    SignatureConfirmed,
    /// People clicked share buttons: the clicks counted since the last report, per network.
    ShareClicked,
    /// An open letter was delivered.
    DeliveryCreated,
}

impl Event {
    pub const ALL: [Event; 4] =
        [Self::SignatureCreated, Self::SignatureConfirmed, Self::ShareClicked, Self::DeliveryCreated];

    pub fn name(self) -> &'static str {
        match self {
            Self::SignatureCreated => "signature.created",
            Self::SignatureConfirmed => "signature.confirmed",
            Self::ShareClicked => "share.clicked",
            Self::DeliveryCreated => "delivery.created",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == s.trim())
    }

    /// A comma-separated list of event names, each known, at least one, none twice.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        let mut events = Vec::new();
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let e = Self::parse(name).ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|e| e.name()).collect();
                format!("unknown event {name:?}; use {}", known.join(", "))
            })?;
            if !events.contains(&e) {
                events.push(e);
            }
        }
        if events.is_empty() {
            return Err("name at least one event".into());
        }
        Ok(events)
    }
}

/// What an endpoint may see of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The petition, the new count and where the signer came from; nothing about the person.
    Counts,
    /// Also the signer's name, email, postal code, phone and comment, for signers who agreed to
    /// hear from the campaign.
    Contacts,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Self::Counts => "counts",
            Self::Contacts => "contacts",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "counts" => Some(Self::Counts),
            "contacts" => Some(Self::Contacts),
            _ => None,
        }
    }
}

/// The header that carries a delivery's signature.
pub const SIGNATURE_HEADER: &str = "x-undersigned-signature";

/// `X-Undersigned-Signature`: `t=UNIX_SECONDS,v1=HEX`, where `HEX` is HMAC-SHA256 keyed with
/// the endpoint's secret over `UNIX_SECONDS.BODY`. Signing the time with the body lets a
/// receiver refuse an old delivery replayed later.
pub fn signature_header(secret: &str, unix_seconds: i64, body: &[u8]) -> String {
    format!("t={unix_seconds},v1={}", hex::encode(mac(secret, unix_seconds, body)))
}

fn mac(secret: &str, unix_seconds: i64, body: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    m.update(unix_seconds.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.finalize().into_bytes().to_vec()
}

/// What a receiver does: checks the header against the body and its own copy of the secret,
/// and that the time is within `tolerance` of `now`. Compares in constant time.
pub fn verify(secret: &str, header: &str, body: &[u8], now_unix: i64, tolerance: Duration) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    if now_unix.abs_diff(t) > tolerance.as_secs() {
        return false;
    }
    let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) else { return false };
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m.verify_slice(&v1).is_ok()
}

/// A new endpoint secret: 32 random letters and digits.
pub fn new_secret() -> String {
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect()
}

/// A delivery's idempotency key: 128 random bits in hex, the same on every attempt.
pub fn new_key() -> String {
    hex::encode(rand::rng().random::<[u8; 16]>())
}

/// Why an endpoint URL is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("not a URL: {0}")]
    Malformed(String),
    #[error("only http and https endpoints can receive webhooks")]
    Scheme,
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL must not carry a user name or password; use the secret to check deliveries")]
    Credentials,
    #[error("{0} is a loopback, private or link-local address (set WEBHOOK_ALLOW_PRIVATE=true to allow)")]
    Private(IpAddr),
    #[error("the host could not be looked up: {0}")]
    Lookup(String),
}

/// An endpoint URL's shape: absolute http(s), a host, no credentials; a literal address must
/// be public unless private ones are allowed. (Host names are checked when they are looked up.)
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, UrlError> {
    let url = Url::parse(raw.trim()).map_err(|e| UrlError::Malformed(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let ip = match url.host() {
        None => return Err(UrlError::NoHost),
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => None,
    };
    if let Some(ip) = ip
        && !allow_private
        && !is_public(ip)
    {
        return Err(UrlError::Private(ip));
    }
    Ok(url)
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, broadcast, multicast, documentation or benchmarking, and
/// not an IPv6 form of one of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let s = v6.segments();
            // 6to4 (2002::/16) carries an IPv4 address, which decides.
            if s[0] == 0x2002 {
                let [a, b] = s[1].to_be_bytes();
                let [c, d] = s[2].to_be_bytes();
                return public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10 and the old site-local fec0::/10.
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // Documentation 2001:db8::/32 and 3fff::/20; IPv4-compatible ::/96; NAT64
                // 64:ff9b::/32 (well-known and local-use: the embedded IPv4 address could be
                // anything); discard-only 100::/64.
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] & 0xfff0) == 0x3ff0
                || (s[0..6] == [0, 0, 0, 0, 0, 0])
                || (s[0] == 0x64 && s[1] == 0xff9b)
                || (s[0..4] == [0x100, 0, 0, 0])
                // Teredo 2001::/32 (the client's address is hidden in it), ORCHID 2001:10::/28 and
                // 2001:20::/28, segment routing 5f00::/16.
                || (s[0] == 0x2001 && (s[1] == 0 || (s[1] & 0xfff0) == 0x10 || (s[1] & 0xfff0) == 0x20))
                || s[0] == 0x5f00)
        }
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space 100.64.0.0/10.
        || (a == 100 && (b & 0xc0) == 64)
        // IETF protocol assignments 192.0.0.0/24; benchmarking 198.18.0.0/15; reserved 240/4.
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
        || a >= 240)
}

/// How long to wait after failed attempt number `attempt` (1 for the first): `base`, doubling
/// with each attempt up to an hour, then a random part of it taken off (between none and half),
/// so endpoints coming back are not hit by every retry at once.
pub fn retry_delay(attempt: i32, base: Duration) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(20);
    let full = base.saturating_mul(1 << doublings).min(MAX_DELAY);
    let keep = rand::rng().random_range(0.5..=1.0);
    full.mul_f64(keep)
}

/// The longest wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(3600);

/// The petition an event is about, as a body names it.
#[derive(Clone, Copy, Debug)]
pub struct PetitionRef<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    /// The petition's public page.
    pub url: &'a str,
}

impl PetitionRef<'_> {
    fn json(&self, total: Option<i64>) -> serde_json::Value {
        let mut p = json!({
            "identifiers": [format!("undersigned:{}", self.slug)],
            "slug": self.slug,
            "title": self.title,
            "browser_url": self.url,
        });
        if let Some(total) = total {
            p["total_signatures"] = json!(total);
        }
        p
    }
}

/// What a `signature.created` body says about the signature, as stored.
#[derive(Clone, Copy, Debug)]
pub struct SignatureFacts<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub email: &'a str,
    pub postal_code: &'a str,
    pub phone: Option<&'a str>,
    pub employer: Option<&'a str>,
    pub job_title: Option<&'a str>,
    pub worksite: Option<&'a str>,
    pub comment: Option<&'a str>,
    pub email_opt_in: bool,
    pub source: Option<&'a str>,
    pub ref_code: Option<&'a str>,
    pub referrer: Option<&'a str>,
    pub landing_page: Option<&'a str>,
    pub utm_source: Option<&'a str>,
    pub utm_medium: Option<&'a str>,
    pub utm_campaign: Option<&'a str>,
    pub utm_content: Option<&'a str>,
    pub utm_term: Option<&'a str>,
}

/// The body of `signature.created` or `signature.confirmed` (`event`; OSDI names): the petition
/// and its count once the signature counted, and the signature with where the signer came
/// from. With [`Scope::Contacts`], also the person and their comment if the signer agreed to
/// hear from the campaign; otherwise nothing that identifies them. A signature no longer stored
/// (removed since) is named by its identifier only.
pub fn signature_created(
    (key, event): (&str, Event),
    at: DateTime<Utc>,
    petition: PetitionRef<'_>,
    total: Option<i64>,
    signature_id: i64,
    facts: Option<SignatureFacts<'_>>,
    scope: Scope,
) -> String {
    let mut signature = json!({
        "identifiers": [format!("undersigned:{signature_id}")],
        "created_date": at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    if let Some(f) = facts {
        signature["referrer_data"] = json!({
            "source": f.source,
            "referrer": f.ref_code,
            "website": f.referrer,
        });
        signature["custom_fields"] = json!({
            "landing_page": f.landing_page,
            "utm_source": f.utm_source,
            "utm_medium": f.utm_medium,
            "utm_campaign": f.utm_campaign,
            "utm_content": f.utm_content,
            "utm_term": f.utm_term,
        });
        // Contact fields leave only for signers who agreed to hear from the campaign.
        if scope == Scope::Contacts && f.email_opt_in {
            let mut person = json!({
                "given_name": f.given_name,
                "family_name": f.family_name,
                "email_addresses": [{
                    "address": f.email,
                    "primary": true,
                    "status": if f.email_opt_in { "subscribed" } else { "unsubscribed" },
                }],
            });
            // A form that did not ask for it sends none, rather than an empty one a CRM would
            // take as a change.
            if !f.postal_code.is_empty() {
                person["postal_addresses"] = json!([{ "postal_code": f.postal_code, "primary": true }]);
            }
            if let Some(phone) = f.phone {
                person["phone_numbers"] = json!([{ "number": phone, "primary": true }]);
            }
            if let Some(employer) = f.employer {
                person["employer"] = json!(employer);
            }
            // OSDI has no names for these two; they travel as the person's custom fields.
            let custom: serde_json::Map<String, serde_json::Value> =
                [("job_title", f.job_title), ("worksite", f.worksite)]
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_owned(), json!(v?))))
                    .collect();
            if !custom.is_empty() {
                person["custom_fields"] = serde_json::Value::Object(custom);
            }
            signature["person"] = person;
            if let Some(comment) = f.comment {
                signature["comments"] = json!(comment);
            }
        }
    }
    envelope(
        key,
        event,
        at,
        json!({
            "petition": petition.json(total),
            "signature": signature,
        }),
    )
}

/// The body of `share.clicked`: clicks on one petition's buttons for one network since the
/// last report (counted in memory and stored every few seconds). Nothing about who clicked.
pub fn share_clicked(
    key: &str,
    at: DateTime<Utc>,
    petition: PetitionRef<'_>,
    network: &str,
    clicks: i64,
) -> String {
    envelope(
        key,
        Event::ShareClicked,
        at,
        json!({
            "petition": petition.json(None),
            "share": { "network": network, "clicks": clicks },
        }),
    )
}

/// What a `delivery.created` body says: the counts, the cut-off, the digest and the public
/// record's address. Never a signer.
#[derive(Clone, Copy, Debug)]
pub struct DeliveryFacts<'a> {
    pub public_url: &'a str,
    pub cutoff: DateTime<Utc>,
    pub signatures: i64,
    pub offline: i64,
    pub digest: &'a str,
}

pub fn delivery_created(
    key: &str,
    at: DateTime<Utc>,
    petition: PetitionRef<'_>,
    d: DeliveryFacts<'_>,
) -> String {
    envelope(
        key,
        Event::DeliveryCreated,
        at,
        json!({
            "petition": petition.json(None),
            "delivery": {
                "browser_url": d.public_url,
                "cutoff": d.cutoff.to_rfc3339_opts(SecondsFormat::Secs, true),
                "signatures": d.signatures,
                "offline_signatures": d.offline,
                "total_signatures": d.signatures + d.offline,
                "sha256": d.digest,
            },
        }),
    )
}

fn envelope(key: &str, event: Event, at: DateTime<Utc>, data: serde_json::Value) -> String {
    let mut body = json!({
        "id": key,
        "event": event.name(),
        "created_at": at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    if let (Some(body), serde_json::Value::Object(data)) = (body.as_object_mut(), data) {
        body.extend(data);
    }
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_as_a_list() {
        assert_eq!(
            Event::parse_list("signature.created, share.clicked,signature.created"),
            Ok(vec![Event::SignatureCreated, Event::ShareClicked])
        );
        assert!(Event::parse_list("").is_err());
        assert!(Event::parse_list("signature.deleted").expect_err("unknown").contains("signature.created"));
        for e in Event::ALL {
            assert_eq!(Event::parse(e.name()), Some(e));
        }
    }

    #[test]
    fn a_signature_verifies_only_with_its_secret_body_and_time() {
        let h = signature_header("s3cret", 1_700_000_000, b"{\"a\":1}");
        let ok =
            |secret: &str, body: &[u8], now: i64| verify(secret, &h, body, now, Duration::from_secs(300));
        assert!(ok("s3cret", b"{\"a\":1}", 1_700_000_100));
        assert!(!ok("other", b"{\"a\":1}", 1_700_000_100));
        assert!(!ok("s3cret", b"{\"a\":2}", 1_700_000_100));
        assert!(!ok("s3cret", b"{\"a\":1}", 1_700_001_000), "too old");
        assert!(!verify("s3cret", "v1=zz,t=x", b"", 0, Duration::from_secs(300)));
        // The known answer: HMAC-SHA256("key", "1.body").
        assert_eq!(
            signature_header("key", 1, b"body"),
            format!("t=1,v1={}", hex::encode(mac("key", 1, b"body")))
        );
    }

    #[test]
    fn only_public_http_endpoints_pass() {
        assert!(check_url("https://hooks.example.org/in?x=1", false).is_ok());
        for public in ["http://[2606:4700::1111]/", "http://[2002:0808:0808::1]/", "http://8.8.8.8/"] {
            assert!(check_url(public, false).is_ok(), "{public}");
        }
        assert_eq!(check_url("ftp://example.org/", false), Err(UrlError::Scheme));
        assert_eq!(check_url("https://user:pw@example.org/", false), Err(UrlError::Credentials));
        assert!(matches!(check_url("not a url", false), Err(UrlError::Malformed(_))));
        for private in [
            "http://127.0.0.1:9000/",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.20.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://2130706433/",
            "http://[fec0::1]/",
            "http://[64:ff9b:1::a00:1]/",
            "http://[2002:c0a8:101::1]/",
            "http://[2002:7f00:1::]/",
            "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
            "http://[2001:db8::1]/",
            "http://[3fff::1]/",
            "http://[100::1]/",
            "http://[2001:10::1]/",
            "http://[5f00::1]/",
        ] {
            assert!(matches!(check_url(private, false), Err(UrlError::Private(_))), "{private}");
            assert!(check_url(private, true).is_ok(), "{private} when allowed");
        }
    }

    #[test]
    fn contact_fields_are_sent_only_in_the_contacts_scope_and_with_agreement() {
        let facts = SignatureFacts {
            given_name: "Rosa",
            family_name: "Díaz",
            email: "rosa@example.org",
            postal_code: "94110",
            phone: Some("+14155550100"),
            employer: None,
            job_title: None,
            worksite: Some("3 West"),
            comment: Some("For my ward"),
            email_opt_in: true,
            source: Some("share-whatsapp"),
            ref_code: Some("Ab12Cd34Ef"),
            referrer: None,
            landing_page: Some("ad-1"),
            utm_source: None,
            utm_medium: None,
            utm_campaign: Some("nov"),
            utm_content: None,
            utm_term: None,
        };
        let petition = PetitionRef { slug: "fair", title: "Fair \"staffing\"", url: "https://ex.org/p/fair" };
        let at = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        let body = |facts: Option<SignatureFacts<'_>>, scope| {
            let json =
                signature_created(("k1", Event::SignatureCreated), at, petition, Some(7), 42, facts, scope);
            serde_json::from_str::<serde_json::Value>(&json).unwrap_or_default()
        };
        let contacts = body(Some(facts), Scope::Contacts);
        assert_eq!(contacts["id"], "k1");
        assert_eq!(contacts["created_at"], "2023-11-14T22:13:20Z");
        assert_eq!(contacts["petition"]["title"], "Fair \"staffing\"");
        assert_eq!(contacts["petition"]["total_signatures"], 7);
        assert_eq!(contacts["signature"]["identifiers"][0], "undersigned:42");
        assert_eq!(contacts["signature"]["referrer_data"]["referrer"], "Ab12Cd34Ef");
        assert_eq!(contacts["signature"]["person"]["family_name"], "Díaz");
        assert_eq!(contacts["signature"]["person"]["phone_numbers"][0]["number"], "+14155550100");
        assert_eq!(contacts["signature"]["comments"], "For my ward");
        assert_eq!(
            contacts["signature"]["person"]["custom_fields"],
            serde_json::json!({ "worksite": "3 West" })
        );
        for quiet in [
            body(Some(facts), Scope::Counts),
            body(Some(SignatureFacts { email_opt_in: false, ..facts }), Scope::Contacts),
        ] {
            let text = quiet.to_string();
            assert!(!text.contains("rosa@") && !text.contains("Rosa") && !text.contains("ward"), "{text}");
            assert!(!text.contains("3 West"), "{text}");
            assert_eq!(quiet["signature"]["custom_fields"]["utm_campaign"], "nov");
        }
        let gone = body(None, Scope::Contacts);
        assert_eq!(gone["signature"]["identifiers"][0], "undersigned:42");
        assert!(gone["signature"].get("referrer_data").is_none());
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let base = Duration::from_secs(10);
        for attempt in 1..30 {
            let d = retry_delay(attempt, base);
            let full = base.saturating_mul(1 << (attempt - 1).min(20)).min(MAX_DELAY);
            assert!(d <= full && d >= full / 2, "{attempt}: {d:?}");
        }
        // Twelve attempts with the defaults keep trying for 1.7 to 3.4 hours: an endpoint that
        // is down for an hour loses nothing.
        let least: Duration = (1..12).map(|a| base.saturating_mul(1 << (a - 1)).min(MAX_DELAY) / 2).sum();
        assert!(least > Duration::from_secs(6000), "{least:?}");
    }
}
