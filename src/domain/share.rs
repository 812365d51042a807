//! Sharing: the networks a petition can be shared to, the link a share carries (crediting the
//! sharer), where each network's share dialog lives, and the next goal a thanks page asks for.

use super::ShareCode;

/// The networks a signer can share to (`/p/{slug}/share/{network}` names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    Facebook,
    X,
    WhatsApp,
    Bluesky,
    LinkedIn,
    Reddit,
    Telegram,
    Threads,
    Email,
    Sms,
}

impl Network {
    pub const ALL: [Network; 10] = [
        Self::WhatsApp,
        Self::Facebook,
        Self::X,
        Self::Bluesky,
        Self::Threads,
        Self::Telegram,
        Self::LinkedIn,
        Self::Reddit,
        Self::Email,
        Self::Sms,
    ];

    /// The few shown on petition and landing pages, before signing (the thanks page shows all).
    pub const ON_PAGES: [Network; 4] = [Self::WhatsApp, Self::Facebook, Self::X, Self::Email];

    pub fn slug(self) -> &'static str {
        match self {
            Self::Facebook => "facebook",
            Self::X => "x",
            Self::WhatsApp => "whatsapp",
            Self::Bluesky => "bluesky",
            Self::LinkedIn => "linkedin",
            Self::Reddit => "reddit",
            Self::Telegram => "telegram",
            Self::Threads => "threads",
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.slug() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Facebook => "Facebook",
            Self::X => "X",
            Self::WhatsApp => "WhatsApp",
            Self::Bluesky => "Bluesky",
            Self::LinkedIn => "LinkedIn",
            Self::Reddit => "Reddit",
            Self::Telegram => "Telegram",
            Self::Threads => "Threads",
            Self::Email => "Email",
            Self::Sms => "SMS",
        }
    }

    /// The link a share to this network carries: the page's canonical `url` (no query of its
    /// own) crediting the sharer's code, `source=share-{network}`, and the share text used
    /// (`v`), if staff wrote the wording. Every value is plain ASCII letters, digits and `-`, so
    /// nothing needs encoding.
    pub fn shared_link(self, url: &str, sharer: Option<&ShareCode>, text: Option<i64>) -> String {
        let mut link = String::with_capacity(url.len() + 64);
        link.push_str(url);
        link.push('?');
        if let Some(code) = sharer {
            link.push_str("ref=");
            link.push_str(code.as_str());
            link.push('&');
        }
        link.push_str("source=share-");
        link.push_str(self.slug());
        if let Some(id) = text {
            link.push_str("&v=");
            link.push_str(&id.to_string());
        }
        link
    }

    /// The network's share dialog for `url`, with `text` as the suggested message and `title`
    /// as the subject where the network has one. Only the URL and the text leave this site.
    /// Networks that take one message get `{text} {url}`.
    pub fn share_url(self, url: &str, text: &str, title: &str) -> String {
        let mut out = String::with_capacity(48 + 3 * (url.len() + text.len() + title.len()));
        let both = |out: &mut String| {
            encode_into(out, text);
            out.push_str("%20");
            encode_into(out, url);
        };
        match self {
            Self::Facebook => {
                out.push_str("https://www.facebook.com/sharer/sharer.php?u=");
                encode_into(&mut out, url);
            }
            Self::X | Self::Telegram => {
                out.push_str(if self == Self::X {
                    "https://x.com/intent/tweet?url="
                } else {
                    "https://t.me/share/url?url="
                });
                encode_into(&mut out, url);
                out.push_str("&text=");
                encode_into(&mut out, text);
            }
            Self::WhatsApp => {
                out.push_str("https://wa.me/?text=");
                both(&mut out);
            }
            Self::Bluesky => {
                out.push_str("https://bsky.app/intent/compose?text=");
                both(&mut out);
            }
            Self::Threads => {
                out.push_str("https://www.threads.net/intent/post?text=");
                both(&mut out);
            }
            Self::LinkedIn => {
                out.push_str("https://www.linkedin.com/sharing/share-offsite/?url=");
                encode_into(&mut out, url);
            }
            Self::Reddit => {
                out.push_str("https://www.reddit.com/submit?url=");
                encode_into(&mut out, url);
                out.push_str("&title=");
                encode_into(&mut out, title);
            }
            Self::Email => {
                out.push_str("mailto:?subject=");
                encode_into(&mut out, title);
                out.push_str("&body=");
                both(&mut out);
            }
            Self::Sms => {
                out.push_str("sms:?&body=");
                both(&mut out);
            }
        }
        out
    }
}

/// Appends `s` percent-encoded: every byte but ASCII letters and digits becomes `%XX` (what
/// `percent_encoding::NON_ALPHANUMERIC` does, without its formatting machinery: the share
/// redirect encodes a link and a message on every click).
fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// The goal a petition asks its signers to help reach: its own goal until that is met, then
/// the next round number above the count (1, 2 or 5 times a power of ten).
pub fn next_goal(count: i64, goal: i64) -> i64 {
    if count < goal {
        return goal;
    }
    let mut step: i64 = 1;
    loop {
        for m in [1, 2, 5] {
            let g = step.saturating_mul(m);
            if g > count || g == i64::MAX {
                return g;
            }
        }
        step = step.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use proptest::prelude::*;

    #[test]
    fn every_network_round_trips_its_slug() {
        for n in Network::ALL {
            assert_eq!(Network::parse(n.slug()), Some(n));
        }
        assert_eq!(Network::parse("myspace"), None);
    }

    #[test]
    fn the_next_goal_is_the_goal_then_a_round_number_above_the_count() {
        assert_eq!(next_goal(10, 1000), 1000);
        assert_eq!(next_goal(1000, 1000), 2000);
        assert_eq!(next_goal(1234, 1000), 2000);
        assert_eq!(next_goal(2000, 1000), 5000);
        assert_eq!(next_goal(5600, 0), 10_000);
        assert_eq!(next_goal(0, 0), 1);
        assert_eq!(next_goal(i64::MAX - 1, 0), i64::MAX);
    }

    #[test]
    fn shared_links_credit_the_sharer_and_name_the_network() {
        let code = ShareCode::parse("Ab12Cd34").expect("a valid code");
        assert_eq!(
            Network::WhatsApp.shared_link("https://ex.org/p/fair", Some(&code), None),
            "https://ex.org/p/fair?ref=Ab12Cd34&source=share-whatsapp"
        );
        assert_eq!(
            Network::Sms.shared_link("https://ex.org/a/ad", None, Some(12)),
            "https://ex.org/a/ad?source=share-sms&v=12"
        );
    }

    proptest! {
        #[test]
        fn encoding_matches_the_percent_encoding_crate(s in "\\PC{0,80}") {
            let mut ours = String::new();
            encode_into(&mut ours, &s);
            prop_assert_eq!(ours, utf8_percent_encode(&s, NON_ALPHANUMERIC).to_string());
        }

        #[test]
        fn share_urls_stay_on_the_network_and_encode_everything(path in "[a-z0-9-]{1,20}", text in "\\PC{0,60}") {
            let url = format!("https://example.org/p/{path}?ref=Ab12");
            for n in Network::ALL {
                let s = n.share_url(&url, &text, &text);
                prop_assert!(!s.contains(' ') && !s.contains('"') && !s.contains('<'));
                let host_ok = s.starts_with("https://") || s.starts_with("mailto:?") || s.starts_with("sms:?");
                prop_assert!(host_ok);
                // The shared URL appears exactly once, fully encoded.
                let encoded = utf8_percent_encode(&url, NON_ALPHANUMERIC).to_string();
                prop_assert_eq!(s.matches(&encoded).count(), 1);
            }
        }

        #[test]
        fn every_share_dialog_decodes_back_to_the_link_and_the_text(
            path in "[a-z0-9-]{1,20}",
            code in "[A-Za-z0-9]{10}",
            text in "\\PC{0,60}",
            wording in proptest::option::of(1i64..1_000_000),
        ) {
            let code = ShareCode::parse(&code);
            for n in Network::ALL {
                let link = n.shared_link(&format!("https://example.org/p/{path}"), code.as_ref(), wording);
                let dialog = n.share_url(&link, &text, "Title & more");
                let query = dialog.split_once('?').map(|(_, q)| q).unwrap_or_default();
                let pairs: Vec<(String, String)> =
                    url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
                let value = |k: &str| pairs.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone());
                let together = format!("{text} {link}");
                let (url_ok, text_ok) = match n {
                    Network::Facebook => (value("u") == Some(link.clone()), true),
                    Network::LinkedIn => (value("url") == Some(link.clone()), true),
                    Network::Reddit => (value("url") == Some(link.clone()), value("title").as_deref() == Some("Title & more")),
                    Network::X | Network::Telegram => (value("url") == Some(link.clone()), value("text") == Some(text.clone())),
                    Network::WhatsApp | Network::Bluesky | Network::Threads => {
                        let t = value("text");
                        (t == Some(together.clone()), t == Some(together.clone()))
                    }
                    Network::Email => (value("body") == Some(together.clone()), value("subject").as_deref() == Some("Title & more")),
                    Network::Sms => (value("body") == Some(together.clone()), true),
                };
                prop_assert!(url_ok, "{:?}: {}", n, dialog);
                prop_assert!(text_ok, "{:?}: {}", n, dialog);
                prop_assert!(link.contains("source=share-"));
                let named = url::Url::parse(&link).ok().and_then(|u| {
                    u.query_pairs().find(|(k, _)| k == "v").map(|(_, v)| v.into_owned())
                });
                prop_assert_eq!(named, wording.map(|w| w.to_string()));
            }
        }
    }
}
