//! Share links for the thanks page: where each network's share dialog lives.

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

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

    /// The network's share dialog for `url`, with `text` as the suggested message and `title`
    /// as the subject where the network has one. Only the URL and the text leave this site.
    pub fn share_url(self, url: &str, text: &str, title: &str) -> String {
        let e = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let (u, t) = (e(url), e(text));
        let both = e(&format!("{text} {url}"));
        match self {
            Self::Facebook => format!("https://www.facebook.com/sharer/sharer.php?u={u}"),
            Self::X => format!("https://x.com/intent/tweet?url={u}&text={t}"),
            Self::WhatsApp => format!("https://wa.me/?text={both}"),
            Self::Bluesky => format!("https://bsky.app/intent/compose?text={both}"),
            Self::LinkedIn => format!("https://www.linkedin.com/sharing/share-offsite/?url={u}"),
            Self::Reddit => format!("https://www.reddit.com/submit?url={u}&title={}", e(title)),
            Self::Telegram => format!("https://t.me/share/url?url={u}&text={t}"),
            Self::Threads => format!("https://www.threads.net/intent/post?text={both}"),
            Self::Email => format!("mailto:?subject={}&body={both}", e(title)),
            Self::Sms => format!("sms:?&body={both}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_network_round_trips_its_slug() {
        for n in Network::ALL {
            assert_eq!(Network::parse(n.slug()), Some(n));
        }
        assert_eq!(Network::parse("myspace"), None);
    }

    proptest! {
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
    }
}
