//! Email addresses and the canonical form that identifies a person.

use validator::ValidateEmail;

use super::FieldError;

/// Longest address SMTP allows.
const MAX_LEN: usize = 254;

/// Providers that ignore dots in the local part.
const DOTLESS: &[&str] = &["gmail.com", "googlemail.com"];

/// Providers that deliver `name+tag@` to `name@`.
const PLUS_TAGS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "fastmail.com",
    "fastmail.fm",
    "proton.me",
    "protonmail.com",
    "pm.me",
];

/// Longest local part (before the `@`) SMTP allows.
const LOCAL_MAX: usize = 64;

/// A syntactically valid email address, as typed (trimmed). Letters of any language are
/// allowed before the `@` (`josé@correo.es`) and in the domain (`ana@exämple.org`); an IP
/// address in brackets, or a host without a dot, is not an address people sign with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        if s.chars().count() > MAX_LEN {
            return Err(FieldError::TooLong(MAX_LEN));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(FieldError::InvalidEmail);
        };
        let Some(ascii) = ascii_domain(domain).filter(|_| local_part_ok(local)) else {
            return Err(FieldError::InvalidEmail);
        };
        // An ASCII address also passes the usual check, in its ASCII form.
        if local.is_ascii() && !format!("{local}@{ascii}").validate_email() {
            return Err(FieldError::InvalidEmail);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that identifies a person: lower-cased; for providers that ignore them, dots
    /// and `+tags` removed from the local part (`googlemail.com` is `gmail.com`).
    pub fn canonical(&self) -> String {
        let Some((local, domain)) = self.0.rsplit_once('@') else {
            return self.0.to_lowercase();
        };
        // The domain in one spelling, its letters: `xn--exmple-cua.org` is `exämple.org` (the
        // form such addresses were always kept in).
        let domain = unicode_domain(domain);
        let domain = domain.as_str();
        let mut local = local.to_lowercase();
        // A local part that would end up empty (`+x@gmail.com`) is kept whole.
        if PLUS_TAGS.contains(&domain)
            && let Some(i) = local.find('+')
            && i > 0
        {
            local.truncate(i);
        }
        if DOTLESS.contains(&domain) && local.chars().any(|c| c != '.') {
            local.retain(|c| c != '.');
        }
        let domain = if domain == "googlemail.com" { "gmail.com" } else { domain };
        format!("{local}@{domain}")
    }
}

/// A local part as mail servers take it unquoted: letters (of any language), digits and
/// `!#$%&'*+/=?^_`{|}~-`, with dots between them.
fn local_part_ok(local: &str) -> bool {
    !local.is_empty()
        && local.chars().count() <= LOCAL_MAX
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || "!#$%&'*+/=?^_`{|}~-.".contains(c)
                || (!c.is_ascii() && c.is_alphanumeric())
        })
}

/// `domain` in lower case, international labels in their letters (`xn--exmple-cua.org` is
/// `exämple.org`); an ASCII domain without such labels is only lower-cased.
fn unicode_domain(domain: &str) -> String {
    let lower = domain.to_lowercase();
    if lower.is_ascii() && !lower.split('.').any(|l| l.starts_with("xn--")) {
        return lower;
    }
    match idna::domain_to_unicode(&lower) {
        (unicode, Ok(())) => unicode,
        (_, Err(_)) => lower,
    }
}

/// `domain` in its ASCII form (lower case, international labels as `xn--…`), if people can
/// have mail there: two labels or more, each of letters, digits and inner hyphens, the last
/// not all digits. No IP address, bracketed or not.
pub fn ascii_domain(domain: &str) -> Option<String> {
    let ascii =
        if domain.is_ascii() { domain.to_ascii_lowercase() } else { idna::domain_to_ascii(domain).ok()? };
    let labels: Vec<&str> = ascii.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let top_ok = labels.last().is_some_and(|t| !t.bytes().all(|b| b.is_ascii_digit()));
    (labels.len() >= 2 && ascii.len() <= 253 && labels.iter().all(label_ok) && top_ok).then_some(ascii)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn canon(s: &str) -> String {
        Email::parse(s).map(|e| e.canonical()).unwrap_or_default()
    }

    #[test]
    fn canonical_folds_case_dots_and_tags_where_providers_ignore_them() {
        assert_eq!(canon("Jane.Doe+union@GMail.com"), "janedoe@gmail.com");
        assert_eq!(canon("j.a.n.e.doe@googlemail.com"), "janedoe@gmail.com");
        assert_eq!(canon("Jane+x@Outlook.com"), "jane@outlook.com");
        // Elsewhere dots and plus signs are part of the address.
        assert_eq!(canon("Jane.Doe+x@Example.org"), "jane.doe+x@example.org");
    }

    #[test]
    fn rejects_what_cannot_be_an_address() {
        for bad in [
            "",
            "  ",
            "jane",
            "jane@",
            "@example.org",
            "jane@localhost",
            "jane@@x.org",
            "ja ne@x.org",
            "jane@x.org.",
            "x@[127.0.0.1]",
            "x@127.0.0.1",
            "x@[IPv6:::1]",
            ".jane@x.org",
            "ja..ne@x.org",
            "jane@x_y.org",
            "jane@-x.org",
            "\"jane\"@x.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(Email::parse(" jane@x.org ").map(|e| e.0), Ok("jane@x.org".into()));
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(FieldError::TooLong(MAX_LEN)));
    }

    #[test]
    fn international_addresses_are_one_person_however_spelled() {
        assert!(Email::parse("josé@correo.es").is_ok());
        assert!(Email::parse("ana@exämple.org").is_ok());
        assert!(Email::parse("用户@例子.广告").is_ok());
        assert_eq!(canon("Ana@EXÄMPLE.org"), "ana@exämple.org");
        assert_eq!(canon("ana@xn--exmple-cua.org"), canon("ana@exämple.org"));
        assert_eq!(canon("JOSÉ@Correo.es"), "josé@correo.es");
        assert_eq!(ascii_domain("Example.ORG").as_deref(), Some("example.org"));
        assert_eq!(ascii_domain("localhost"), None);
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent_and_case_blind(local in "[a-zA-Z0-9._+]{1,20}", domain in "(gmail|example|outlook)\\.(com|org)") {
            let addr = format!("{local}@{domain}");
            if let Ok(e) = Email::parse(&addr) {
                let c = e.canonical();
                // (A canonical form need not be an address itself: `a.+x@outlook.com` is `a.@…`.)
                prop_assert_eq!(&Email(c.clone()).canonical(), &c);
                prop_assert_eq!(canon(&addr.to_uppercase()), c);
            }
        }
    }
}
