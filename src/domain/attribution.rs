//! Where a signer came from: the first touch (landing page, `source`, `ref`, the share text
//! `v`, `utm_*`, the referring site's host). Click ids (`fbclid`, `gclid`, …) are never kept.

use serde::{Deserialize, Serialize};

use super::ShareCode;

/// Longest attribution value kept; longer ones are cut, not refused (they come from links,
/// not from the signer).
const MAX_LEN: usize = 255;

/// Attribution as it arrives on a page's query string or in the form's hidden fields.
/// Unknown parameters (click ids included) are ignored by construction.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AttributionParams {
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default, rename = "ref")]
    pub ref_code: Option<String>,
    #[serde(default)]
    pub referrer: Option<String>,
    #[serde(default, rename = "v")]
    pub share_text: Option<String>,
    #[serde(default)]
    pub landing_page: Option<String>,
    #[serde(default)]
    pub utm_source: Option<String>,
    #[serde(default)]
    pub utm_medium: Option<String>,
    #[serde(default)]
    pub utm_campaign: Option<String>,
    #[serde(default)]
    pub utm_content: Option<String>,
    #[serde(default)]
    pub utm_term: Option<String>,
}

impl AttributionParams {
    /// The parameters of a page's query string, never failing: the first value of a repeated
    /// parameter counts, bytes that are not UTF-8 become U+FFFD (and are then cleaned like any
    /// other text), and unknown parameters are ignored.
    pub fn from_query(query: &str) -> Self {
        if query.is_empty() {
            return Self::default();
        }
        let mut seen = std::collections::HashSet::new();
        let mut first = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            if seen.insert(k.clone()) {
                first.append_pair(&k, &v);
            }
        }
        serde_urlencoded::from_str(&first.finish()).unwrap_or_default()
    }
}

/// Cleaned attribution: every value trimmed, free of control characters and at most
/// 255 characters; `ref` is a share code; `referrer` is a host name only.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attribution {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub ref_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The share text (its id, in digits) of the shared link the visitor came through.
    #[serde(rename = "v", skip_serializing_if = "Option::is_none")]
    pub share_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landing_page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_medium: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_campaign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utm_term: Option<String>,
}

/// A campaign value as it is kept: trimmed, without control characters, at most 255
/// characters; `None` when nothing is left.
pub fn clean(v: Option<&str>) -> Option<String> {
    let v = v?;
    // Most values are short and plain, and are kept as they are.
    let plain = v.trim();
    if plain.len() <= MAX_LEN && !plain.chars().any(char::is_control) {
        return (!plain.is_empty()).then(|| plain.to_owned());
    }
    let v: String = v.chars().filter(|c| !c.is_control()).collect();
    let v: String = v.trim().chars().take(MAX_LEN).collect();
    let v = v.trim_end();
    (!v.is_empty()).then(|| v.to_owned())
}

/// Landing page slugs: ASCII letters, digits, `-` and `_`.
fn clean_slug(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    let ok = !v.is_empty()
        && v.len() <= 32
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| v.to_owned())
}

/// A share text's id: digits, no leading zero, small enough for a database id.
fn clean_id(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    let ok = !v.is_empty() && v.len() <= 18 && !v.starts_with('0') && v.bytes().all(|b| b.is_ascii_digit());
    ok.then(|| v.to_owned())
}

/// The host of a referring URL (or of a bare host), lower-cased; never the path or query,
/// which can carry personal data.
pub fn referrer_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let host = match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u.host_str()?.to_owned(),
        Ok(_) => return None,
        Err(_) => raw.to_owned(),
    };
    let host = host.to_ascii_lowercase();
    let ok = !host.is_empty()
        && host.len() <= 255
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    ok.then_some(host)
}

impl Attribution {
    /// Cleans raw parameters. `referer_header` (the browser's Referer) is used when the
    /// parameters carry no referrer; `own_host` is dropped so internal navigation is not a
    /// referrer.
    pub fn from_params(p: &AttributionParams, referer_header: Option<&str>, own_host: &str) -> Self {
        let referrer =
            p.referrer.as_deref().or(referer_header).and_then(referrer_host).filter(|h| h != own_host);
        Self {
            source: clean(p.source.as_deref()),
            ref_code: p.ref_code.as_deref().and_then(ShareCode::parse).map(ShareCode::into_inner),
            referrer,
            share_text: clean_id(p.share_text.as_deref()),
            landing_page: clean_slug(p.landing_page.as_deref()),
            utm_source: clean(p.utm_source.as_deref()),
            utm_medium: clean(p.utm_medium.as_deref()),
            utm_campaign: clean(p.utm_campaign.as_deref()),
            utm_content: clean(p.utm_content.as_deref()),
            utm_term: clean(p.utm_term.as_deref()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The share text it names, as an id.
    pub fn share_text_id(&self) -> Option<i64> {
        self.share_text.as_deref()?.parse().ok()
    }

    /// First touch wins: `self` if it says anything, else `later`.
    pub fn first_touch(self, later: Self) -> Self {
        if self.is_empty() { later } else { self }
    }

    /// Compact cookie form (URL-encoded pairs).
    pub fn to_cookie_value(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// Reads the cookie form back, cleaning it again: cookies are user input too.
    pub fn from_cookie_value(v: &str) -> Self {
        let params: AttributionParams = serde_urlencoded::from_str(v).unwrap_or_default();
        Self::from_params(&params, None, "")
    }

    /// The (name, value) pairs to carry in a form's hidden fields.
    pub fn hidden_fields(&self) -> Vec<(&'static str, &str)> {
        [
            ("source", &self.source),
            ("ref", &self.ref_code),
            ("referrer", &self.referrer),
            ("v", &self.share_text),
            ("landing_page", &self.landing_page),
            ("utm_source", &self.utm_source),
            ("utm_medium", &self.utm_medium),
            ("utm_campaign", &self.utm_campaign),
            ("utm_content", &self.utm_content),
            ("utm_term", &self.utm_term),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_utm_and_source_drops_click_ids_and_paths() {
        let p: AttributionParams = serde_urlencoded::from_str(
            "utm_source=fb&utm_campaign=%20spring%20&source=ad1&fbclid=XYZ&gclid=abc&ref=Ab9",
        )
        .unwrap_or_default();
        let a =
            Attribution::from_params(&p, Some("https://m.facebook.com/some/path?u=jane@x.org"), "localhost");
        assert_eq!(a.utm_source.as_deref(), Some("fb"));
        assert_eq!(a.utm_campaign.as_deref(), Some("spring"));
        assert_eq!(a.source.as_deref(), Some("ad1"));
        assert_eq!(a.ref_code.as_deref(), Some("Ab9"));
        assert_eq!(a.referrer.as_deref(), Some("m.facebook.com"));
        assert!(!a.to_cookie_value().contains("XYZ"));
    }

    #[test]
    fn own_host_is_not_a_referrer_and_bad_codes_are_dropped() {
        let p = AttributionParams { ref_code: Some("<script>".into()), ..Default::default() };
        let a = Attribution::from_params(&p, Some("http://localhost:3000/p/x"), "localhost");
        assert!(a.is_empty());
        assert_eq!(referrer_host("javascript:alert(1)"), None);
    }

    #[test]
    fn queries_never_fail_and_the_first_value_counts() {
        let p = AttributionParams::from_query("utm_source=a&utm_source=b&ref=%FF&utm_term=x%20y&&=&junk");
        assert_eq!(p.utm_source.as_deref(), Some("a"));
        assert_eq!(p.utm_term.as_deref(), Some("x y"));
        assert_eq!(Attribution::from_params(&p, None, "").ref_code, None);
        assert!(Attribution::from_params(&AttributionParams::from_query("%%%&=&"), None, "").is_empty());
    }

    #[test]
    fn a_share_text_is_a_plain_positive_id() {
        let id = |v: &str| {
            let p = AttributionParams::from_query(&format!("v={v}"));
            Attribution::from_params(&p, None, "").share_text_id()
        };
        assert_eq!(id("42"), Some(42));
        assert_eq!(id("%2042%20"), Some(42));
        for bad in ["", "0", "042", "-1", "4x", "1e3", "9999999999999999999", "%3Cb%3E"] {
            assert_eq!(id(bad), None, "{bad}");
        }
        let a = Attribution::from_params(&AttributionParams::from_query("v=7&source=share-x"), None, "");
        assert!(a.hidden_fields().contains(&("v", "7")));
        assert_eq!(Attribution::from_cookie_value(&a.to_cookie_value()), a);
    }

    #[test]
    fn first_touch_wins() {
        let a = Attribution { source: Some("a".into()), ..Default::default() };
        let b = Attribution { source: Some("b".into()), ..Default::default() };
        assert_eq!(a.clone().first_touch(b.clone()), a);
        assert_eq!(Attribution::default().first_touch(b.clone()), b);
    }

    proptest! {
        #[test]
        fn cookie_round_trip(source in "\\PC{0,120}", campaign in "[a-z ]{0,20}") {
            let p = AttributionParams { source: Some(source), utm_campaign: Some(campaign), ..Default::default() };
            let a = Attribution::from_params(&p, None, "");
            prop_assert_eq!(Attribution::from_cookie_value(&a.to_cookie_value()), a.clone());
            prop_assert!(a.source.iter().all(|s| s.chars().count() <= MAX_LEN && !s.chars().any(char::is_control)));
        }

        #[test]
        fn cleaning_keeps_plain_text_and_is_stable(v in "[ \t\n\x00\x1b\u{85}a-zé]{0,300}") {
            let once = clean(Some(&v));
            if let Some(c) = &once {
                prop_assert!(!c.is_empty() && c.chars().count() <= MAX_LEN);
                prop_assert!(!c.chars().any(char::is_control));
                prop_assert_eq!(c.trim(), c.as_str());
            }
            prop_assert_eq!(clean(once.as_deref()), once.clone());
            let without: String = v.chars().filter(|c| !c.is_control()).collect();
            if without.trim().chars().count() <= MAX_LEN {
                prop_assert_eq!(once.as_deref().unwrap_or_default(), without.trim());
            }
        }
    }
}
