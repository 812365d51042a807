//! Share codes: the opaque, random code in a signer's personal share link (`?ref=CODE`). Every
//! rule about them lives here: how one is made and what a valid one looks like.

use rand::{Rng, distr::Alphanumeric};

/// A signer's share code: [`ShareCode::LEN`] random letters and digits (about 59 bits), not
/// derived from anything about the signer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ShareCode(String);

impl ShareCode {
    /// Length of a new code.
    pub const LEN: usize = 10;
    /// Longest code accepted from a link or a cookie.
    pub const MAX: usize = 32;

    /// A new random code.
    pub fn generate() -> Self {
        Self(rand::rng().sample_iter(Alphanumeric).take(Self::LEN).map(char::from).collect())
    }

    /// A code as it arrives in a link or cookie: ASCII letters and digits, at most
    /// [`ShareCode::MAX`] of them; surrounding white space is ignored. Anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let ok = !raw.is_empty() && raw.len() <= Self::MAX && raw.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn new_codes_parse_and_differ() {
        let a = ShareCode::generate();
        assert_eq!(a.as_str().len(), ShareCode::LEN);
        assert_eq!(ShareCode::parse(a.as_str()), Some(a.clone()));
        assert_ne!(a, ShareCode::generate());
    }

    #[test]
    fn only_plain_codes_are_accepted() {
        assert_eq!(ShareCode::parse(" Ab12 ").map(ShareCode::into_inner), Some("Ab12".into()));
        for bad in ["", "a b", "<script>", "a_b", "ä", &"x".repeat(33)] {
            assert_eq!(ShareCode::parse(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn whatever_parses_is_short_and_plain(raw in "\\PC{0,40}") {
            if let Some(code) = ShareCode::parse(&raw) {
                prop_assert!(code.as_str().len() <= ShareCode::MAX);
                prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
            }
        }
    }
}
