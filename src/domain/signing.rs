//! The signing form: what arrives over HTTP, and the parsed signature it becomes.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::attribution::{Attribution, AttributionParams};
use super::{Email, FieldError, FreeText, PersonName, Phone, PostalCode};

/// Field name → why it was refused. Ordered as the form shows its fields.
pub type FieldErrors = BTreeMap<&'static str, FieldError>;

pub const EMPLOYER_MAX: usize = 200;
pub const COMMENT_MAX: usize = 2000;

/// The form as posted (`application/x-www-form-urlencoded`). Every field defaults to empty so
/// that a missing field is reported beside the field, not as a broken request.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SignForm {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub postal_code: String,
    pub phone: String,
    pub employer: String,
    pub comment: String,
    /// Checkboxes: present (any value) when ticked.
    pub email_opt_in: Option<String>,
    pub public_name: Option<String>,
    /// A field people never see; bots fill it in.
    pub website: String,
    /// The landing page the form was on (`/a/{via}`), if any: where the signer is thanked.
    pub via: String,
    /// Present when the form is framed on a partner's site (`/embed/{slug}`).
    pub embed: Option<String>,
    #[serde(flatten)]
    pub attribution: AttributionParams,
}

/// A signature that passed validation, in parsed types.
#[derive(Clone, Debug)]
pub struct SignatureInput {
    pub given_name: PersonName,
    pub family_name: PersonName,
    pub email: Email,
    pub postal_code: PostalCode,
    pub phone: Option<Phone>,
    pub employer: Option<String>,
    pub comment: Option<String>,
    pub email_opt_in: bool,
    pub public_name: bool,
    pub attribution: Attribution,
    /// The honeypot was filled: stored, flagged, never counted, and the sender is not told.
    pub suspected_bot: bool,
}

impl SignForm {
    /// Parses every field, collecting all errors at once so the form can show each beside its
    /// field. `country` is the petition's postal country.
    pub fn parse(&self, country: &str, own_host: &str) -> Result<SignatureInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |name: &'static str, r: Result<(), FieldError>| {
            if let Err(e) = r {
                errors.insert(name, e);
            }
        };
        let given_name = PersonName::parse(&self.given_name);
        check("given_name", given_name.as_ref().map(drop).map_err(|e| *e));
        let family_name = PersonName::parse(&self.family_name);
        check("family_name", family_name.as_ref().map(drop).map_err(|e| *e));
        let email = Email::parse(&self.email);
        check("email", email.as_ref().map(drop).map_err(|e| *e));
        let postal_code = PostalCode::parse(&self.postal_code, country);
        check("postal_code", postal_code.as_ref().map(drop).map_err(|e| *e));
        let phone = Phone::parse(&self.phone);
        check("phone", phone.as_ref().map(drop).map_err(|e| *e));
        let employer = FreeText::parse(&self.employer, EMPLOYER_MAX, false);
        check("employer", employer.as_ref().map(drop).map_err(|e| *e));
        let comment = FreeText::parse(&self.comment, COMMENT_MAX, true);
        check("comment", comment.as_ref().map(drop).map_err(|e| *e));

        match (given_name, family_name, email, postal_code, phone, employer, comment) {
            (
                Ok(given_name),
                Ok(family_name),
                Ok(email),
                Ok(postal_code),
                Ok(phone),
                Ok(employer),
                Ok(comment),
            ) if errors.is_empty() => Ok(SignatureInput {
                given_name,
                family_name,
                email,
                postal_code,
                phone,
                employer: employer.map(FreeText::into_inner),
                comment: comment.map(FreeText::into_inner),
                email_opt_in: self.email_opt_in.is_some(),
                public_name: self.public_name.is_some(),
                attribution: Attribution::from_params(&self.attribution, None, own_host),
                suspected_bot: !self.website.trim().is_empty(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(q: &str) -> SignForm {
        serde_urlencoded::from_str(q).unwrap_or_default()
    }

    #[test]
    fn a_complete_form_parses() {
        let f = form(
            "given_name=Ana&family_name=Ruiz&email=ana%40example.org&postal_code=94110\
             &email_opt_in=on&utm_source=fb&fbclid=zzz",
        );
        let s = f.parse("US", "localhost").map_err(|e| format!("{e:?}"));
        let s = s.as_ref().map(|s| (s.email_opt_in, s.public_name, s.attribution.utm_source.clone()));
        assert_eq!(s, Ok((true, false, Some("fb".into()))));
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let errors = form("phone=12&email=nope").parse("US", "").err().unwrap_or_default();
        let fields: Vec<_> = errors.keys().copied().collect();
        assert_eq!(fields, ["email", "family_name", "given_name", "phone", "postal_code"]);
    }
}
