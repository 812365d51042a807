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

/// A syntactically valid email address, as typed (trimmed).
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
        // `validate_email` accepts dotless hosts such as `user@localhost`; nobody signs from one.
        let domain_ok = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
        if local.is_empty() || !domain_ok || !s.validate_email() {
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
        let lower = self.0.to_lowercase();
        let Some((local, domain)) = lower.rsplit_once('@') else {
            return lower;
        };
        let mut local = local.to_owned();
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
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(Email::parse(" jane@x.org ").map(|e| e.0), Ok("jane@x.org".into()));
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(FieldError::TooLong(MAX_LEN)));
    }

    proptest! {
        #[test]
        fn canonical_is_idempotent_and_case_blind(local in "[a-zA-Z0-9._+]{1,20}", domain in "(gmail|example|outlook)\\.(com|org)") {
            let addr = format!("{local}@{domain}");
            if let Ok(e) = Email::parse(&addr) {
                let c = e.canonical();
                prop_assert_eq!(&canon(&c), &c);
                prop_assert_eq!(canon(&addr.to_uppercase()), c);
            }
        }
    }
}
