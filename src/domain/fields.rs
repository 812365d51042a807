//! Parse-once types for what a signer types into the form.

use std::fmt;

/// Why one form field was refused. Rendered in the signer's language by the views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldError {
    Required,
    /// Longer than this many characters.
    TooLong(usize),
    /// Contains control characters (or line breaks where none belong).
    ControlChars,
    /// A name with no letter in it, or one that starts like a spreadsheet formula.
    InvalidName,
    InvalidEmail,
    /// Not a postal code of the petition's country (ISO code).
    InvalidPostalCode(&'static str),
    InvalidPhone,
}

/// A short description for logs and developers; visitors see the catalogue's words instead.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Required => f.write_str("required"),
            Self::TooLong(n) => write!(f, "longer than {n} characters"),
            Self::ControlChars => f.write_str("contains control characters"),
            Self::InvalidName => f.write_str("not a name"),
            Self::InvalidEmail => f.write_str("not an email address"),
            Self::InvalidPostalCode(c) => write!(f, "not a postal code of {c}"),
            Self::InvalidPhone => f.write_str("not a phone number"),
        }
    }
}

/// Trims, folds runs of white space into one space and rejects control characters.
fn single_line(raw: &str, max: usize) -> Result<String, FieldError> {
    if raw.chars().any(|c| c.is_control()) {
        return Err(FieldError::ControlChars);
    }
    let folded = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() > max {
        return Err(FieldError::TooLong(max));
    }
    Ok(folded)
}

/// A given or family name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = single_line(raw, Self::MAX)?;
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        // Nobody's name starts like a formula; exports neutralise such cells regardless.
        if s.starts_with(['=', '+', '-', '@']) || !s.chars().any(char::is_alphabetic) {
            return Err(FieldError::InvalidName);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A postal code, normalised for its country.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostalCode(String);

impl PostalCode {
    pub const MAX: usize = 16;

    /// Parses `raw` as a postal code of `country` (ISO 3166-1 alpha-2). US ZIP and ZIP+4,
    /// Canadian, British and Mexican codes are checked exactly; other countries get a
    /// plausibility check (2–10 letters, digits, spaces or hyphens, at least one digit or letter).
    pub fn parse(raw: &str, country: &str) -> Result<Self, FieldError> {
        let s = single_line(raw, Self::MAX)?.to_uppercase();
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        let bad = || FieldError::InvalidPostalCode(country_code(country));
        // Postal codes are ASCII everywhere we know; this also keeps the slicing below safe.
        if !compact.is_ascii() {
            return Err(bad());
        }
        let code = match country {
            "US" => {
                let (zip, plus4) = match compact.split_once('-') {
                    Some((z, p)) => (z, Some(p)),
                    None if compact.len() == 9 => (&compact[..5], Some(&compact[5..])),
                    None => (compact.as_str(), None),
                };
                let ok = zip.len() == 5 && digits(zip);
                match plus4 {
                    Some(p) if ok && p.len() == 4 && digits(p) => format!("{zip}-{p}"),
                    None if ok => zip.to_owned(),
                    _ => return Err(bad()),
                }
            }
            "MX" | "ES" | "DE" | "FR" | "IT" => {
                if compact.len() != 5 || !digits(&compact) {
                    return Err(bad());
                }
                compact
            }
            "CA" => {
                let b = compact.as_bytes();
                let shape = b.len() == 6
                    && b.iter()
                        .enumerate()
                        .all(|(i, c)| if i % 2 == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_digit() });
                if !shape {
                    return Err(bad());
                }
                format!("{} {}", &compact[..3], &compact[3..])
            }
            "GB" => {
                // Outward code (2–4 chars, starts with a letter) + inward code (digit, 2 letters).
                let n = compact.len();
                let b = compact.as_bytes();
                let inward_ok = n >= 5
                    && b[n - 3].is_ascii_digit()
                    && b[n - 2].is_ascii_alphabetic()
                    && b[n - 1].is_ascii_alphabetic();
                let outward = &compact[..n.saturating_sub(3)];
                let outward_ok = (2..=4).contains(&outward.len())
                    && outward.starts_with(|c: char| c.is_ascii_alphabetic())
                    && outward.chars().all(|c| c.is_ascii_alphanumeric())
                    && outward.chars().any(|c| c.is_ascii_digit());
                if !(inward_ok && outward_ok) {
                    return Err(bad());
                }
                format!("{outward} {}", &compact[n - 3..])
            }
            _ => {
                let ok = (2..=10).contains(&s.chars().count())
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
                    && s.chars().any(|c| c.is_ascii_alphanumeric());
                if !ok {
                    return Err(bad());
                }
                s
            }
        };
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The region of a stored postal code of `country`, for counts by region: a US ZIP's first
/// three digits (its sectional center), a Canadian code's first three characters (its forward
/// sortation area), a British postcode's letters before its first digit (its area), elsewhere
/// the first two characters (the state, province or département in Mexico, Spain, France,
/// Germany and Italy). Empty for no postal code. Never more than a few characters: it names an
/// area, not an address.
pub fn postal_region(code: &str, country: &str) -> String {
    let code = code.trim();
    let take = |n: usize| code.chars().filter(|c| !c.is_whitespace()).take(n).collect::<String>();
    match country {
        _ if code.is_empty() => String::new(),
        "US" | "CA" => take(3),
        "GB" => code.chars().take_while(char::is_ascii_alphabetic).take(2).collect(),
        _ => take(2),
    }
    .to_uppercase()
}

/// The static spelling of a country code, for error messages.
fn country_code(country: &str) -> &'static str {
    match country {
        "US" => "US",
        "CA" => "CA",
        "GB" => "GB",
        "MX" => "MX",
        "ES" => "ES",
        "DE" => "DE",
        "FR" => "FR",
        "IT" => "IT",
        _ => "",
    }
}

/// An optional phone number: 7–15 digits, optionally a leading `+`; spaces, dots, dashes and
/// parentheses are accepted and dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let (plus, rest) = match s.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(FieldError::InvalidPhone),
            }
        }
        if !(7..=15).contains(&digits.len()) {
            return Err(FieldError::InvalidPhone);
        }
        Ok(Some(Self(if plus { format!("+{digits}") } else { digits })))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Optional free text (employer, comment). Line breaks are kept only where `multiline`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FreeText(String);

impl FreeText {
    pub fn parse(raw: &str, max: usize, multiline: bool) -> Result<Option<Self>, FieldError> {
        let text = if multiline {
            let normalised = raw.replace("\r\n", "\n");
            if normalised.chars().any(|c| c.is_control() && c != '\n') {
                return Err(FieldError::ControlChars);
            }
            let t = normalised.trim().to_owned();
            if t.chars().count() > max {
                return Err(FieldError::TooLong(max));
            }
            t
        } else {
            single_line(raw, max)?
        };
        Ok((!text.is_empty()).then_some(Self(text)))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postal_regions_name_areas_not_addresses() {
        assert_eq!(postal_region("94110-1234", "US"), "941");
        assert_eq!(postal_region("M5V 2T6", "CA"), "M5V");
        assert_eq!(postal_region("SW1A 1AA", "GB"), "SW");
        assert_eq!(postal_region("M1 1AE", "GB"), "M");
        assert_eq!(postal_region("06700", "MX"), "06");
        assert_eq!(postal_region("75001", "FR"), "75");
        assert_eq!(postal_region("1010", "AT"), "10");
        assert_eq!(postal_region("", "US"), "");
        assert_eq!(postal_region("  ", "GB"), "");
    }
    use proptest::prelude::*;

    #[test]
    fn names() {
        assert_eq!(PersonName::parse("  Ana   María ").map(|n| n.0), Ok("Ana María".into()));
        assert_eq!(PersonName::parse(""), Err(FieldError::Required));
        assert_eq!(PersonName::parse("   "), Err(FieldError::Required));
        assert_eq!(PersonName::parse("=cmd()"), Err(FieldError::InvalidName));
        assert_eq!(PersonName::parse("@x"), Err(FieldError::InvalidName));
        assert_eq!(PersonName::parse("1234"), Err(FieldError::InvalidName));
        assert_eq!(PersonName::parse("Ana\u{7}"), Err(FieldError::ControlChars));
        assert_eq!(PersonName::parse("Ana\nB"), Err(FieldError::ControlChars));
        assert_eq!(PersonName::parse(&"a".repeat(101)), Err(FieldError::TooLong(100)));
        assert!(PersonName::parse(&"ñ".repeat(100)).is_ok());
        assert!(PersonName::parse("O'Brien-Núñez").is_ok());
    }

    #[test]
    fn us_zip_codes() {
        let ok = |s: &str| PostalCode::parse(s, "US").map(|p| p.0);
        assert_eq!(ok("94110"), Ok("94110".into()));
        assert_eq!(ok(" 94110-1234 "), Ok("94110-1234".into()));
        assert_eq!(ok("941101234"), Ok("94110-1234".into()));
        for bad in ["9411", "941100", "ABCDE", "94110-12", "94110-abcd"] {
            assert_eq!(ok(bad), Err(FieldError::InvalidPostalCode("US")), "{bad}");
        }
        assert_eq!(ok(""), Err(FieldError::Required));
    }

    #[test]
    fn other_countries() {
        assert_eq!(PostalCode::parse("k1a0b1", "CA").map(|p| p.0), Ok("K1A 0B1".into()));
        assert_eq!(PostalCode::parse("sw1a1aa", "GB").map(|p| p.0), Ok("SW1A 1AA".into()));
        assert_eq!(PostalCode::parse("M1 1AE", "GB").map(|p| p.0), Ok("M1 1AE".into()));
        assert!(PostalCode::parse("1AA 1AA", "GB").is_err());
        assert!(PostalCode::parse("06600", "MX").is_ok());
        assert!(PostalCode::parse("1010", "AT").is_ok());
        assert!(PostalCode::parse("!!", "AT").is_err());
        assert!(PostalCode::parse("ñññññ", "US").is_err());
        assert!(PostalCode::parse("ññññ1AA", "GB").is_err());
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse(""), Ok(None));
        assert_eq!(Phone::parse("(415) 555-0100").map(|p| p.map(|p| p.0)), Ok(Some("4155550100".into())));
        assert_eq!(Phone::parse("+34 600 000 000").map(|p| p.map(|p| p.0)), Ok(Some("+34600000000".into())));
        assert_eq!(Phone::parse("555"), Err(FieldError::InvalidPhone));
        assert_eq!(Phone::parse("call me"), Err(FieldError::InvalidPhone));
    }

    #[test]
    fn free_text() {
        assert_eq!(FreeText::parse("  ", 10, false), Ok(None));
        assert_eq!(FreeText::parse("a\r\nb", 10, true).map(|t| t.map(|t| t.0)), Ok(Some("a\nb".into())));
        assert_eq!(FreeText::parse("a\nb", 10, false), Err(FieldError::ControlChars));
        assert_eq!(FreeText::parse("abc", 2, false), Err(FieldError::TooLong(2)));
    }

    proptest! {
        #[test]
        fn parsed_names_are_clean(raw in "\\PC{0,120}") {
            if let Ok(n) = PersonName::parse(&raw) {
                prop_assert!(!n.0.chars().any(char::is_control));
                prop_assert!(n.0.chars().count() <= PersonName::MAX);
                prop_assert!(!n.0.starts_with(['=', '+', '-', '@', ' ']));
            }
        }

        #[test]
        fn us_zip_parse_is_stable(raw in "[0-9 -]{0,12}") {
            if let Ok(p) = PostalCode::parse(&raw, "US") {
                prop_assert_eq!(PostalCode::parse(p.as_str(), "US"), Ok(p.clone()));
            }
        }
    }
}
