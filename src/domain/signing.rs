//! The signing form: what arrives over HTTP, and the parsed signature it becomes.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::attribution::{Attribution, AttributionParams};
use super::form_fields::{Ask, Field, FormFields};
use super::{Email, FieldError, FreeText, PersonName, Phone, PostalCode, fields::postal_region};

/// Field name → why it was refused. Ordered as the form shows its fields.
pub type FieldErrors = BTreeMap<&'static str, FieldError>;

pub const EMPLOYER_MAX: usize = 200;
pub const JOB_TITLE_MAX: usize = 200;
pub const WORKSITE_MAX: usize = 200;
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
    pub job_title: String,
    pub worksite: String,
    pub comment: String,
    /// Checkboxes: present (any value) when ticked.
    pub email_opt_in: Option<String>,
    pub public_name: Option<String>,
    /// A field people never see; bots fill it in.
    pub website: String,
    /// When the form was served, signed ([`crate::limits::FormTokens`]).
    pub form_token: String,
    /// The human check's answer, from Turnstile's widget or hCaptcha's ([`crate::captcha`]).
    #[serde(rename = "cf-turnstile-response")]
    pub turnstile_response: String,
    #[serde(rename = "h-captcha-response")]
    pub hcaptcha_response: String,
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
    /// Always there online; a paper entry may have none (it is told apart by name and postal
    /// code then).
    pub email: Option<Email>,
    /// `None` when the form does not ask for it, or it is optional and was left empty.
    pub postal_code: Option<PostalCode>,
    pub phone: Option<Phone>,
    pub employer: Option<String>,
    pub job_title: Option<String>,
    pub worksite: Option<String>,
    pub comment: Option<String>,
    pub email_opt_in: bool,
    pub public_name: bool,
    pub attribution: Attribution,
    /// The honeypot was filled: stored, flagged, never counted, and the sender is not told.
    pub suspected_bot: bool,
    /// A keyed hash of the network the form came from, set by the handler (never the address).
    pub network_hash: Option<String>,
    /// The postal code's region ([`postal_region`]), for counts by region; empty without one.
    pub region: String,
}

impl SignForm {
    /// Parses every field the form asks for (`fields`), collecting all errors at once so the
    /// form can show each beside its field; a field it does not ask for is ignored whatever
    /// was posted. `country` is the petition's postal country.
    pub fn parse(
        &self,
        fields: &FormFields,
        country: &str,
        own_host: &str,
    ) -> Result<SignatureInput, FieldErrors> {
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
        let postal_code = asked(fields.ask(Field::PostalCode), || {
            if self.postal_code.trim().is_empty() {
                Ok(None)
            } else {
                PostalCode::parse(&self.postal_code, country).map(Some)
            }
        });
        let phone = asked(fields.ask(Field::Phone), || Phone::parse(&self.phone));
        let text = |field: Field, raw: &str, max: usize, multiline: bool| {
            asked(fields.ask(field), || {
                FreeText::parse(raw, max, multiline).map(|t| t.map(FreeText::into_inner))
            })
        };
        let employer = text(Field::Employer, &self.employer, EMPLOYER_MAX, false);
        let job_title = text(Field::JobTitle, &self.job_title, JOB_TITLE_MAX, false);
        let worksite = text(Field::Worksite, &self.worksite, WORKSITE_MAX, false);
        let comment = text(Field::Comment, &self.comment, COMMENT_MAX, true);
        check(Field::PostalCode.name(), postal_code.as_ref().map(drop).map_err(|e| *e));
        check(Field::Phone.name(), phone.as_ref().map(drop).map_err(|e| *e));
        for (field, parsed) in [
            (Field::Employer, &employer),
            (Field::JobTitle, &job_title),
            (Field::Worksite, &worksite),
            (Field::Comment, &comment),
        ] {
            check(field.name(), parsed.as_ref().map(drop).map_err(|e| *e));
        }

        match (given_name, family_name, email, postal_code, phone, employer, job_title, worksite, comment) {
            (
                Ok(given_name),
                Ok(family_name),
                Ok(email),
                Ok(postal_code),
                Ok(phone),
                Ok(employer),
                Ok(job_title),
                Ok(worksite),
                Ok(comment),
            ) if errors.is_empty() => Ok(SignatureInput {
                region: postal_code.as_ref().map_or_else(String::new, |c| postal_region(c.as_str(), country)),
                given_name,
                family_name,
                email: Some(email),
                postal_code,
                phone,
                employer,
                job_title,
                worksite,
                comment,
                email_opt_in: self.email_opt_in.is_some(),
                public_name: self.public_name.is_some(),
                attribution: Attribution::from_params(&self.attribution, None, own_host),
                suspected_bot: !self.website.trim().is_empty(),
                network_hash: None,
            }),
            _ => Err(errors),
        }
    }
}

/// A field's value as the form asks for it: ignored when not asked, and refused when required
/// and left empty.
fn asked<T>(
    ask: Ask,
    parse: impl FnOnce() -> Result<Option<T>, FieldError>,
) -> Result<Option<T>, FieldError> {
    match ask {
        Ask::No => Ok(None),
        Ask::Optional => parse(),
        Ask::Required => parse()?.map(Some).ok_or(FieldError::Required),
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
        let s = f.parse(&FormFields::default(), "US", "localhost").map_err(|e| format!("{e:?}"));
        let s = s.as_ref().map(|s| (s.email_opt_in, s.public_name, s.attribution.utm_source.clone()));
        assert_eq!(s, Ok((true, false, Some("fb".into()))));
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let errors =
            form("phone=12&email=nope").parse(&FormFields::default(), "US", "").err().unwrap_or_default();
        let fields: Vec<_> = errors.keys().copied().collect();
        assert_eq!(fields, ["email", "family_name", "given_name", "phone", "postal_code"]);
    }

    #[test]
    fn the_form_asks_what_staff_chose() {
        let nurses =
            FormFields::none().with(Field::Worksite, Ask::Required).with(Field::JobTitle, Ask::Optional);
        // Not asked: ignored, even when posted (and even when it would not parse).
        let f = form(
            "given_name=Ana&family_name=Ruiz&email=ana%40example.org&postal_code=zz&phone=1&worksite=3%20West",
        );
        let s = f.parse(&nurses, "US", "").map_err(|e| format!("{e:?}"));
        let s = s.map(|s| (s.postal_code, s.phone.is_none(), s.worksite, s.job_title));
        assert_eq!(s, Ok((None, true, Some("3 West".into()), None)));
        // Required and left empty.
        let errors = form("given_name=Ana&family_name=Ruiz&email=ana%40example.org&job_title=%20")
            .parse(&nurses, "US", "")
            .err()
            .unwrap_or_default();
        assert_eq!(errors.into_iter().collect::<Vec<_>>(), [("worksite", FieldError::Required)]);
        // A required phone must be there; an optional postal code may be left empty.
        let strict =
            FormFields::none().with(Field::Phone, Ask::Required).with(Field::PostalCode, Ask::Optional);
        let errors = form("given_name=Ana&family_name=Ruiz&email=ana%40example.org")
            .parse(&strict, "US", "")
            .err()
            .unwrap_or_default();
        assert_eq!(errors.into_iter().collect::<Vec<_>>(), [("phone", FieldError::Required)]);
    }
}
