//! The visitor as handlers see them: their language, where they first came from, and their
//! share code, read from one place. Every cookie is signed with a key derived from
//! `SECRET_KEY`; a cookie that was changed, cut short or made up is treated as absent. No cookie
//! holds personal data.

use std::{
    convert::Infallible,
    hash::Hash,
    sync::{Arc, LazyLock, RwLock},
};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderName, HeaderValue, Method, Uri, header, request::Parts},
    response::{IntoResponseParts, ResponseParts},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, Key, SameSite, SignedCookieJar};
use foldhash::HashMap;

use crate::{
    domain::{
        Attribution, ShareCode,
        attribution::{AttributionParams, referrer_host},
    },
    i18n::Locale,
    state::AppState,
    sync::{read, write},
};

/// The language the visitor chose with the switch.
const LANGUAGE: &str = "us_lang";
/// First-touch attribution, for the whole site.
const FIRST_TOUCH: &str = "us_ft";
/// The signer's share code, scoped to one petition's path.
const SHARE_CODE: &str = "us_share";

/// How long the first-touch attribution is remembered.
const FIRST_TOUCH_DAYS: i64 = 30;
/// How long a signer's share code is remembered for their thanks page.
const SHARE_CODE_DAYS: i64 = 365;
/// Longest first-touch value kept in a cookie (its signature and attributes come on top).
const MAX_COOKIE_VALUE: usize = 3000;
/// How long a language choice is remembered.
const LANGUAGE_DAYS: i64 = 365;

/// Derives the cookie signing key from the instance secret (at least 32 bytes, which the
/// configuration and the stored key guarantee; shorter ones are refused here too).
pub fn cookie_key(secret: &str) -> Option<Key> {
    (secret.len() >= crate::config::Config::MIN_SECRET_KEY_BYTES).then(|| Key::derive_from(secret.as_bytes()))
}

/// Signed `Set-Cookie` values already made, by the cookie they sign. Signing is deterministic,
/// and everyone who arrives from the same ad gets the same first-touch cookie, so each is
/// signed once rather than on every visit.
#[derive(Clone, Debug, Default)]
pub struct SignedCookies(Arc<Signed>);

#[derive(Debug, Default)]
struct Signed {
    /// First touches, by the attribution itself, so that it need not be written out to be
    /// found.
    first_touches: RwLock<HashMap<Attribution, HeaderValue>>,
    /// Other cookies, by name, path and value (the other attributes follow from the name and
    /// the instance).
    others: RwLock<HashMap<(&'static str, String, String), HeaderValue>>,
    /// First touches read from returning visitors' cookies, by the cookie as sent (its
    /// signature included): each is verified and read once. Most were set by the same link.
    read: RwLock<HashMap<String, Arc<Attribution>>>,
}

impl SignedCookies {
    /// Kept at most of each kind; past that the memory starts again.
    const MAX: usize = 4096;

    /// The `Set-Cookie` value of the cookie `make` describes, found in `memo` under `key`
    /// unless it was made already. `None` when `make` says it cannot be set.
    fn header<K: Hash + Eq + Clone>(
        memo: &RwLock<HashMap<K, HeaderValue>>,
        key: &K,
        signing: (&Key, bool),
        make: impl FnOnce() -> Option<ToSet>,
    ) -> Option<HeaderValue> {
        if let Some(v) = read(memo).get(key) {
            return Some(v.clone());
        }
        let c = make()?;
        let cookie = Cookie::build((c.name, c.value))
            .path(c.path)
            .max_age(cookie::time::Duration::days(c.days))
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(signing.1)
            .build();
        let mut jar = cookie::CookieJar::new();
        jar.signed_mut(signing.0).add(cookie);
        let value: HeaderValue = jar.delta().next()?.encoded().to_string().parse().ok()?;
        let mut map = write(memo);
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(key.clone(), value.clone());
        Some(value)
    }
}

impl SignedCookies {
    /// Kept at most of the first touches read from cookies.
    const MAX_READ: usize = 1024;
    /// Longest cookie value (signature included) whose first touch is kept once read.
    const MAX_READ_VALUE: usize = 512;

    /// The first touch the request's cookie remembers, if its signature holds (`jar` checks
    /// it): found by the cookie's value as sent, signature included, among those read before.
    /// A value longer than [`Self::MAX_READ_VALUE`] (a link with long parameters) is checked
    /// each time, so that no visitor can fill the memory with copies of one long cookie. One
    /// `SignedCookies` serves one instance, whose key never changes while it runs.
    fn first_touch(&self, headers: &HeaderMap, jar: &SignedCookieJar) -> Option<Arc<Attribution>> {
        // The same cookie the signed jar picks (the last of that name), not yet checked.
        let sent = CookieJar::from_headers(headers);
        let sent = sent.get(FIRST_TOUCH)?.value();
        let kept = sent.len() <= Self::MAX_READ_VALUE;
        if kept && let Some(known) = read(&self.0.read).get(sent) {
            return Some(known.clone());
        }
        let here = Arc::new(Attribution::from_cookie_value(jar.get(FIRST_TOUCH)?.value()));
        if kept {
            let mut map = write(&self.0.read);
            if map.len() >= Self::MAX_READ {
                map.clear();
            }
            map.insert(sent.to_owned(), here.clone());
        }
        Some(here)
    }
}

/// A cookie to set with the response: HTTP only, `SameSite=Lax`, and secure when the site is.
#[derive(Debug)]
struct ToSet {
    name: &'static str,
    value: String,
    path: String,
    days: i64,
}

/// The visitor of a public page. Returned as part of the response (it is an
/// [`IntoResponseParts`]) so that what it was asked to remember is set as cookies.
#[derive(Debug)]
pub struct Visitor {
    /// The request's cookies whose signature holds.
    jar: SignedCookieJar,
    key: Key,
    /// Cookies to set with the response.
    pending: Vec<HeaderValue>,
    signed: SignedCookies,
    /// Chosen with the switch (`?lang=`) now or before (remembered in a cookie).
    chosen: Option<Locale>,
    /// The first of ours in `Accept-Language`.
    browser: Option<Locale>,
    /// The host of the `Referer`, when there is one.
    referer: Option<String>,
    remembered: Option<Arc<Attribution>>,
    secure: bool,
    /// A link preview, crawler or prefetch rather than a person opening the page.
    automated: bool,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut visitor = Self::new(
            &parts.uri,
            &parts.headers,
            state.cookie_key.clone(),
            state.config.secure_cookies(),
            state.signed_cookies.clone(),
        );
        visitor.automated |= parts.method != Method::GET;
        Ok(visitor)
    }
}

impl Visitor {
    pub fn new(uri: &Uri, headers: &HeaderMap, key: Key, secure: bool, signed: SignedCookies) -> Self {
        let jar = SignedCookieJar::from_headers(headers, key.clone());
        let switch = language_switch(uri);
        let chosen = switch.or_else(|| remembered_language(&jar));
        let browser = accept_language(headers);
        let referer = headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(referrer_host);
        let remembered = signed.first_touch(headers, &jar);
        let automated = automated(headers);
        let mut visitor = Self {
            jar,
            key,
            pending: Vec::new(),
            signed,
            chosen,
            browser,
            referer,
            remembered,
            secure,
            automated,
        };
        if let Some(locale) = switch {
            visitor.remember(LANGUAGE, locale.tag().to_owned(), "/", LANGUAGE_DAYS);
        }
        visitor
    }

    /// The language to show a page in whose own language is `page`: the visitor's choice or
    /// browser language when it is one of ours, else the page's.
    pub fn locale(&self, page: Locale) -> Locale {
        self.chosen.or(self.browser).unwrap_or(page)
    }

    /// The language of a page a campaign made for one audience (an ad's landing page, in the
    /// language of the ad): the visitor's own choice with the switch, else the page's. A
    /// browser's language does not override it: many people the ad speaks to use a browser set
    /// to another language.
    pub fn campaign_locale(&self, page: Locale) -> Locale {
        self.chosen.unwrap_or(page)
    }

    /// Where the visitor came from: the first touch remembered from an earlier visit if there
    /// is one, else this visit's `params` (and `Referer`), which are then remembered for
    /// [`FIRST_TOUCH_DAYS`]. `own_host` is not a referrer.
    pub fn first_touch(&mut self, params: &AttributionParams, own_host: &str) -> Arc<Attribution> {
        if let Some(first) = self.remembered.as_ref().filter(|a| !a.is_empty()) {
            return first.clone();
        }
        let here = Arc::new(Attribution::from_params(params, self.referer.as_deref(), own_host));
        if !here.is_empty() {
            self.keep_first_touch(&here);
        }
        here
    }

    /// Remembers `here` as this visitor's first touch: its signed cookie goes with the response.
    fn keep_first_touch(&mut self, here: &Arc<Attribution>) {
        // Most first touches were signed for an earlier visitor from the same link.
        let signing = (&self.key, self.secure);
        let cookie = SignedCookies::header(&self.signed.0.first_touches, &**here, signing, || {
            let value = here.to_cookie_value();
            // Browsers drop a cookie over 4 KB; a visit with such long values is still
            // credited through its form.
            (value.len() <= MAX_COOKIE_VALUE).then(|| ToSet {
                name: FIRST_TOUCH,
                value,
                path: "/".to_owned(),
                days: FIRST_TOUCH_DAYS,
            })
        });
        if let Some(cookie) = cookie {
            self.pending.push(cookie);
            self.remembered = Some(here.clone());
        }
    }

    /// Whether this visit came from another site (its `Referer` names another host).
    pub fn referred(&self, own_host: &str) -> bool {
        self.referer.as_deref().is_some_and(|h| h != own_host)
    }

    /// [`Visitor::first_touch`] for a visit that carries no parameters and is not
    /// [`referred`](Visitor::referred), whose own first touch is `plain` (made once per record):
    /// nothing is built or copied.
    pub fn first_touch_plain(&mut self, plain: &Arc<Attribution>) -> Arc<Attribution> {
        if let Some(first) = self.remembered.as_ref().filter(|a| !a.is_empty()) {
            return first.clone();
        }
        self.keep_first_touch(plain);
        plain.clone()
    }

    /// The first touch remembered from an earlier visit, if any.
    pub fn remembered(&self) -> Option<&Attribution> {
        self.remembered.as_deref().filter(|a| !a.is_empty())
    }

    /// Whether a person opened the page (not a link preview, crawler, prefetch or `HEAD`), so
    /// that the visit counts.
    pub fn is_person(&self) -> bool {
        !self.automated
    }

    /// The share code this visitor got when they signed the petition at `/p/{slug}`.
    pub fn share_code(&self) -> Option<ShareCode> {
        self.jar.get(SHARE_CODE).and_then(|c| ShareCode::parse(c.value()))
    }

    /// Remembers the signer's share code for the thanks page of the petition at `path`.
    pub fn remember_share_code(&mut self, path: &str, code: &ShareCode) {
        self.remember(SHARE_CODE, code.as_str().to_owned(), path, SHARE_CODE_DAYS);
    }

    fn remember(&mut self, name: &'static str, value: String, path: &str, days: i64) {
        let key = (name, path.to_owned(), value.clone());
        let cookie = SignedCookies::header(&self.signed.0.others, &key, (&self.key, self.secure), || {
            Some(ToSet { name, value, path: path.to_owned(), days })
        });
        self.pending.extend(cookie);
    }
}

impl IntoResponseParts for Visitor {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        for cookie in self.pending {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
        Ok(res)
    }
}

/// Words in the `User-Agent` of link-preview fetchers, crawlers and monitors (in any letter
/// case). Chat apps and social networks fetch a link as soon as it is posted, before
/// anyone taps it.
const AUTOMATED_AGENTS: [&str; 16] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "facebookexternalhit",
    "facebookcatalog",
    "whatsapp",
    "telegram",
    "embedly",
    "vkshare",
    "pinterest",
    "curl/",
    "wget/",
    "python-requests",
    "monitor",
];

/// A request no person made: no `User-Agent`, a known preview or crawler agent, or a prefetch
/// (`Sec-Purpose`, `Purpose` or `X-Moz` saying so).
fn automated(headers: &HeaderMap) -> bool {
    static PREFETCH: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder().ascii_case_insensitive(true).build(["prefetch", "preview", "prerender"]).ok()
    });
    static PURPOSE: [HeaderName; 4] = [
        HeaderName::from_static("sec-purpose"),
        HeaderName::from_static("purpose"),
        HeaderName::from_static("x-purpose"),
        HeaderName::from_static("x-moz"),
    ];
    let prefetch = PURPOSE.iter().any(|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| PREFETCH.as_ref().is_none_or(|w| w.is_match(v)))
    });
    prefetch || headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).is_none_or(automated_agent)
}

/// Agents already looked at, and whether each is automated: people on one campaign mostly share
/// a few phones' and apps' agents, and a lookup costs a tenth of the scan.
static AGENTS_SEEN: LazyLock<RwLock<HashMap<Box<str>, bool>>> = LazyLock::new(RwLock::default);
/// Agents remembered at most; the memory starts again when full.
const MAX_AGENTS_SEEN: usize = 4096;
/// Longest agent remembered (longer ones are scanned each time).
const MAX_AGENT_LEN: usize = 512;

/// Whether a `User-Agent` is a preview, crawler or tool, not a person's browser.
fn automated_agent(agent: &str) -> bool {
    static AGENTS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(AUTOMATED_AGENTS)
            .ok()
    });
    if let Some(&known) = read(&AGENTS_SEEN).get(agent) {
        return known;
    }
    let automated = agent.trim().is_empty() || AGENTS.as_ref().is_none_or(|w| w.is_match(agent));
    if agent.len() <= MAX_AGENT_LEN {
        let mut seen = write(&AGENTS_SEEN);
        if seen.len() >= MAX_AGENTS_SEEN {
            seen.clear();
        }
        seen.insert(agent.into(), automated);
    }
    automated
}

/// The visitor's language from the query switch, a remembered choice or their browser, for
/// pages that have no visitor of their own (error pages).
pub fn asked_locale(uri: &Uri, headers: &HeaderMap, key: &Key) -> Option<Locale> {
    language_switch(uri)
        .or_else(|| remembered_language(&SignedCookieJar::from_headers(headers, key.clone())))
        .or_else(|| accept_language(headers))
}

/// The language chosen with the switch on an earlier visit (its signed cookie).
fn remembered_language(jar: &SignedCookieJar) -> Option<Locale> {
    jar.get(LANGUAGE).and_then(|c| Locale::from_tag(c.value()))
}

/// `?lang=es`: the language switch. Unknown values are ignored.
fn language_switch(uri: &Uri) -> Option<Locale> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Locale::from_tag(&v))
}

/// The best of our languages in an `Accept-Language` header, by weight (`q`), the first listed
/// winning a tie. Entries that do not parse are skipped; `*` and languages we lack are ignored.
pub fn accept_language(headers: &HeaderMap) -> Option<Locale> {
    let mut best: Option<(Locale, f32)> = None;
    for value in headers.get_all(header::ACCEPT_LANGUAGE) {
        let Ok(value) = value.to_str() else { continue };
        for entry in value.split(',').take(64) {
            let mut parts = entry.split(';');
            let Some(locale) = parts.next().and_then(Locale::from_tag) else { continue };
            let q = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                None => 1.0,
                Some(q) => match q.trim().parse::<f32>() {
                    Ok(q) if (0.0..=1.0).contains(&q) => q,
                    _ => continue,
                },
            };
            if q > 0.0 && best.is_none_or(|(_, b)| q > b) {
                best = Some((locale, q));
            }
        }
    }
    best.map(|(l, _)| l)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.append(k, v);
            }
        }
        h
    }

    fn key() -> Key {
        cookie_key(&"k".repeat(32)).unwrap_or_else(|| Key::from(&[1; 64]))
    }

    #[test]
    fn a_first_touch_comes_back_from_its_cookie_and_a_changed_one_does_not() {
        let signed = SignedCookies::default();
        let uri: Uri = "/a/x?utm_source=meta&utm_campaign=nurses".parse().unwrap_or_default();
        let mut first = Visitor::new(&uri, &HeaderMap::new(), key(), true, signed.clone());
        let params = AttributionParams::from_query("utm_source=meta&utm_campaign=nurses");
        let touch = first.first_touch(&params, "example.org");
        let set = first.pending.first().and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let sent = set.split(';').next().unwrap_or_default().to_owned();
        assert!(sent.starts_with("us_ft="), "{set}");
        let back = |cookie: &str| {
            let h = headers(&[(header::COOKIE, cookie)]);
            Visitor::new(&"/p/x".parse().unwrap_or_default(), &h, key(), true, signed.clone()).remembered
        };
        // Read, then found again where it was kept (the same one, not read anew), also when
        // spelled otherwise (`%73` is `s`), and when a changed copy comes before it.
        let read = back(&format!("us_lang=es; {sent}")).expect("read");
        assert_eq!(*read, *touch);
        let respelled = sent.replacen("source", "%73ource", 1);
        assert_ne!(respelled, sent);
        for again in [sent.clone(), respelled, format!("us_ft=x{}; {sent}", &sent[6..])] {
            assert!(back(&again).is_some_and(|a| Arc::ptr_eq(&a, &read)), "{again}");
        }
        assert_eq!(read_len(&signed), 1);
        // One letter changed in the value, or signed with another key: nothing remembered.
        let cut = sent.len() - 3;
        let changed = format!("{}{}", &sent[..cut], if &sent[cut..cut + 1] == "a" { "b" } else { "a" })
            + &sent[cut + 1..];
        assert_eq!(back(&changed), None);
        let mut stranger =
            Visitor::new(&uri, &HeaderMap::new(), Key::from(&[7; 64]), true, SignedCookies::default());
        stranger.first_touch(&params, "example.org");
        let forged = stranger.pending.first().and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let forged = forged.split(';').next().unwrap_or_default();
        assert!(forged.starts_with("us_ft=") && forged != sent);
        assert_eq!(back(forged), None, "another key's");
        assert_eq!(back("us_ft=source%3Dmeta"), None, "unsigned");
        assert_eq!(back("us_ftx=1"), None);
        // A value too long to keep is read each time.
        let x = "x".repeat(250);
        let long = AttributionParams::from_query(&format!(
            "utm_source=meta&utm_content={x}&utm_term={x}&utm_campaign={x}"
        ));
        let mut visitor = Visitor::new(&uri, &HeaderMap::new(), key(), true, signed.clone());
        let touch = visitor.first_touch(&long, "example.org");
        let set = visitor.pending.first().and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let sent = set.split(';').next().unwrap_or_default();
        assert_eq!(back(sent).as_deref(), Some(&*touch));
        assert_eq!(read_len(&signed), 1, "not kept");
    }

    fn read_len(signed: &SignedCookies) -> usize {
        read(&signed.0.read).len()
    }

    #[test]
    fn accept_language_takes_the_best_of_ours() {
        let al = |v: &str| accept_language(&headers(&[(header::ACCEPT_LANGUAGE, v)]));
        assert_eq!(al("es-MX,es;q=0.9,en;q=0.8"), Some(Locale::Es));
        assert_eq!(al("fr-FR,fr;q=0.9,es;q=0.5,en;q=0.4"), Some(Locale::Es));
        assert_eq!(al("en;q=0.3, es;q=0.7"), Some(Locale::Es));
        assert_eq!(al("fr, de"), None);
        assert_eq!(al("*;q=x, es;q=2, en;q=0"), None);
        assert_eq!(al(";;;,,,=="), None);
        assert_eq!(al(&"x".repeat(4096)), None);
        assert_eq!(al(&format!("{},es", "zz;q=0.1,".repeat(400))), None, "only the first 64 entries");
    }

    #[test]
    fn the_switch_wins_then_the_cookie_then_the_browser_then_the_page() {
        let uri: Uri = "/p/x?lang=es&utm_source=a".parse().unwrap_or_default();
        let browser_en = headers(&[(header::ACCEPT_LANGUAGE, "en")]);
        let v = Visitor::new(&uri, &browser_en, key(), false, SignedCookies::default());
        assert_eq!(v.locale(Locale::En), Locale::Es);
        assert_eq!(
            Visitor::new(
                &"/p/x?lang=zz".parse().unwrap_or_default(),
                &browser_en,
                key(),
                false,
                SignedCookies::default()
            )
            .locale(Locale::Es),
            Locale::En
        );
        let none = Visitor::new(
            &"/p/x".parse().unwrap_or_default(),
            &HeaderMap::new(),
            key(),
            false,
            SignedCookies::default(),
        );
        assert_eq!(none.locale(Locale::Es), Locale::Es);
        assert_eq!(none.locale(Locale::En), Locale::En);
    }

    #[test]
    fn previews_crawlers_and_prefetches_are_not_people() {
        let phone =
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36";
        let is_person = |pairs: &[(HeaderName, &str)]| !automated(&headers(pairs));
        assert!(is_person(&[(header::USER_AGENT, phone)]));
        for agent in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "WhatsApp/2.23.20.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "TelegramBot (like TwitterBot)",
            "Slackbot-LinkExpanding 1.0",
            "curl/8.5.0",
            "",
        ] {
            assert!(!is_person(&[(header::USER_AGENT, agent)]), "{agent}");
        }
        assert!(!is_person(&[]), "no agent at all");
        let prefetch = HeaderName::from_static("sec-purpose");
        assert!(!is_person(&[(header::USER_AGENT, phone), (prefetch.clone(), "prefetch;prerender")]));
        // Agents judged before are remembered with the same answer (and a prefetch of a known
        // person's agent is still a prefetch).
        for _ in 0..2 {
            assert!(is_person(&[(header::USER_AGENT, phone)]));
            assert!(!is_person(&[(header::USER_AGENT, "curl/8.5.0")]));
        }
        assert_eq!(read(&AGENTS_SEEN).get(phone), Some(&false));
        assert_eq!(read(&AGENTS_SEEN).get("curl/8.5.0"), Some(&true));
        assert!(!is_person(&[(header::USER_AGENT, phone), (prefetch, "prefetch")]));
    }

    #[test]
    fn short_secrets_make_no_key() {
        assert!(cookie_key("short").is_none());
        assert!(cookie_key(&"x".repeat(32)).is_some());
    }
}
