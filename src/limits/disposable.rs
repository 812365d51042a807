//! Disposable email domains (inboxes anyone can read, or that vanish in an hour): a signature
//! from one is held until its address is confirmed, like one over a limit. The list is the
//! community-maintained one, built in (`disposable_domains.txt`), or a newer copy named by
//! `DISPOSABLE_DOMAINS`.

use std::sync::Arc;

/// The built-in list.
const BUILT_IN: &str = include_str!("disposable_domains.txt");

/// A list of domains; a domain's subdomains are on it too.
#[derive(Clone)]
pub struct DomainList {
    /// Sorted, without repeats.
    domains: Arc<[Box<str>]>,
    /// Where it came from, for `Debug`.
    origin: Arc<str>,
}

impl DomainList {
    /// The list that comes with the server.
    pub fn built_in() -> Self {
        Self::parse(BUILT_IN, "built-in")
    }

    /// No domain.
    pub fn none() -> Self {
        Self { domains: Arc::new([]), origin: "off".into() }
    }

    /// One domain a line; blank lines and `#` comments are skipped, case is ignored.
    pub fn parse(text: &str, origin: &str) -> Self {
        let mut domains: Vec<Box<str>> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or_default().trim().trim_end_matches('.'))
            .filter(|l| !l.is_empty())
            .map(|l| l.to_ascii_lowercase().into_boxed_str())
            .collect();
        domains.sort_unstable();
        domains.dedup();
        Self { domains: domains.into(), origin: origin.into() }
    }

    pub fn len(&self) -> usize {
        self.domains.len()
    }

    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }

    /// Whether `domain` (canonical: lower case, ASCII) or a domain it is under is on the list.
    pub fn contains(&self, domain: &str) -> bool {
        if self.domains.is_empty() {
            return false;
        }
        let mut rest = domain;
        loop {
            if self.domains.binary_search_by(|d| (**d).cmp(rest)).is_ok() {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return false,
            }
        }
    }
}

impl std::fmt::Debug for DomainList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DomainList({}, {} domains)", self.origin, self.domains.len())
    }
}

impl PartialEq for DomainList {
    fn eq(&self, other: &Self) -> bool {
        self.domains == other.domains
    }
}

impl Eq for DomainList {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_list_knows_the_usual_throwaway_inboxes_and_their_subdomains() {
        let list = DomainList::built_in();
        assert!(list.len() > 5_000, "{list:?}");
        for d in ["mailinator.com", "guerrillamail.com", "inbox.mailinator.com", "a.b.yopmail.com"] {
            assert!(list.contains(d), "{d}");
        }
        for d in
            ["gmail.com", "example.org", "hospital.example", "correo.es", "com", "mailinator.com.example"]
        {
            assert!(!list.contains(d), "{d}");
        }
    }

    #[test]
    fn a_list_of_ones_own_reads_comments_case_and_blank_lines() {
        let list = DomainList::parse("# ours\nThrowaway.Example  # since May\n\n burner.example.\n", "file");
        assert_eq!(list.len(), 2);
        assert!(list.contains("throwaway.example"));
        assert!(list.contains("x.burner.example"));
        assert!(!list.contains("example"));
        assert!(!DomainList::none().contains("mailinator.com"));
    }
}
