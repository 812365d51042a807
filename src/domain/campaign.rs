//! A petition or letter as staff write it in the browser: the form as posted, the rules it
//! must follow to be saved, and the further rules it must follow to be published.

use std::collections::BTreeMap;

use entity::petition::{Kind, Status};

use super::form_fields::{Ask, Field, FormFields};
use crate::i18n::{LOCALES, Locale};

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 500;
pub const BODY_MAX: usize = 50_000;
pub const SLUG_MAX: usize = 100;
pub const GOAL_MAX: i64 = 100_000_000;
pub const RECIPIENTS_MAX: usize = 100;
pub const RECIPIENT_PART_MAX: usize = 200;

/// Field name → what is wrong with it, in words for staff.
pub type CampaignErrors = BTreeMap<String, String>;

/// The campaign form as posted: every value as typed, so that a refused form comes back as it
/// was. Translations are posted as `title_{locale}`, `summary_{locale}`, `body_{locale}` and
/// form choices as `ask_{field}`.
#[derive(Clone, Debug, Default)]
pub struct CampaignForm {
    pub kind: String,
    pub slug: String,
    pub locale: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub goal: String,
    pub postal_country: String,
    /// One per line: `Name; Title; Organisation`.
    pub recipients: String,
    /// Per other locale: (title, summary, body).
    pub translations: BTreeMap<Locale, (String, String, String)>,
    /// Per choosable field: `no`, `optional` or `required`.
    pub asks: BTreeMap<Field, String>,
    /// The "signers confirm their email address" box is ticked.
    pub require_confirmation: bool,
    /// The "a human check on the form" box is ticked.
    pub captcha: bool,
    /// The version the editor started from.
    pub version: String,
}

impl CampaignForm {
    /// The form from its posted pairs; unknown names are ignored.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "kind" => form.kind = value,
                "slug" => form.slug = value,
                "locale" => form.locale = value,
                "title" => form.title = value,
                "summary" => form.summary = value,
                "body" => form.body = value,
                "goal" => form.goal = value,
                "postal_country" => form.postal_country = value,
                "recipients" => form.recipients = value,
                "version" => form.version = value,
                "require_confirmation" => form.require_confirmation = !value.is_empty(),
                "captcha" => form.captcha = !value.is_empty(),
                _ => {
                    if let Some(field) = name.strip_prefix("ask_").and_then(Field::from_name) {
                        form.asks.insert(field, value);
                    } else if let Some((part, tag)) = name.rsplit_once('_')
                        && let Some(locale) = LOCALES.into_iter().find(|l| l.tag() == tag)
                    {
                        let t = form.translations.entry(locale).or_default();
                        match part {
                            "title" => t.0 = value,
                            "summary" => t.1 = value,
                            "body" => t.2 = value,
                            _ => {}
                        }
                    }
                }
            }
        }
        form
    }

    /// The form showing a stored campaign.
    pub fn from_campaign(c: &Campaign, version: i64) -> Self {
        Self {
            kind: kind_name(c.kind).to_owned(),
            slug: c.slug.clone(),
            locale: c.locale.tag().to_owned(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            body: c.body.clone(),
            goal: c.goal.to_string(),
            postal_country: c.postal_country.clone(),
            recipients: c
                .recipients
                .iter()
                .map(|r| match &r.email {
                    Some(email) => format!("{}; {}; {}; {email}", r.name, r.title, r.organisation),
                    None => format!("{}; {}; {}", r.name, r.title, r.organisation),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            translations: c
                .translations
                .iter()
                .map(|t| (t.locale, (t.title.clone(), t.summary.clone(), t.body.clone())))
                .collect(),
            asks: Field::ALL.into_iter().map(|f| (f, c.fields.ask(f).name().to_owned())).collect(),
            require_confirmation: c.require_confirmation,
            captcha: c.captcha,
            version: version.to_string(),
        }
    }

    /// Parses the form, collecting every error at once. What is checked here must hold for
    /// any saved campaign, draft or not; see [`Campaign::unpublishable`] for the rest.
    pub fn parse(&self) -> Result<Campaign, CampaignErrors> {
        let mut errors = CampaignErrors::new();
        let mut err = |name: &str, message: String| {
            errors.entry(name.to_owned()).or_insert(message);
        };
        let kind = match self.kind.trim() {
            "" | "petition" => Kind::Petition,
            "letter" => Kind::Letter,
            _ => {
                err("kind", "Choose a petition or an open letter.".into());
                Kind::Petition
            }
        };
        let slug = self.slug.trim().to_ascii_lowercase();
        if let Err(e) = check_slug(&slug) {
            err("slug", e);
        }
        let locale = LOCALES.into_iter().find(|l| l.tag() == self.locale.trim()).unwrap_or_else(|| {
            err("locale", "Choose the campaign's language.".into());
            Locale::En
        });
        let title = one_line(&self.title);
        if let Err(e) = check_len(&title, TITLE_MAX) {
            err("title", e);
        }
        let summary = one_line(&self.summary);
        if let Err(e) = check_len(&summary, SUMMARY_MAX) {
            err("summary", e);
        }
        let body = text_block(&self.body);
        if let Err(e) = check_len(&body, BODY_MAX) {
            err("body", e);
        }
        let goal = match self.goal.trim().replace([',', '_', ' '], "").parse::<i64>() {
            Ok(g) if (0..=GOAL_MAX).contains(&g) => g,
            Ok(_) => {
                err("goal", format!("Enter a whole number from 1 to {GOAL_MAX}."));
                0
            }
            Err(_) if self.goal.trim().is_empty() => 0,
            Err(_) => {
                err("goal", "Enter the goal as a whole number, like 5000.".into());
                0
            }
        };
        let postal_country = self.postal_country.trim().to_ascii_uppercase();
        if postal_country.len() != 2 || !postal_country.bytes().all(|b| b.is_ascii_uppercase()) {
            err("postal_country", "Enter a two-letter country code, like US or MX.".into());
        }
        let mut fields = FormFields::none();
        for field in Field::ALL {
            let chosen = self.asks.get(&field).map_or("no", |a| a.trim());
            match Ask::from_name(chosen) {
                Some(ask) => fields = fields.with(field, ask),
                None => err(&format!("ask_{}", field.name()), "Choose no, optional or required.".into()),
            }
        }
        let mut recipients = Vec::new();
        for (i, line) in self.recipients.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            match parse_recipient(line) {
                Ok(r) => recipients.push(r),
                Err(e) => err("recipients", format!("Line {}: {e}", i + 1)),
            }
        }
        if recipients.len() > RECIPIENTS_MAX {
            err("recipients", format!("At most {RECIPIENTS_MAX} recipients."));
        }
        let mut translations = Vec::new();
        for (&tl, (t, s, b)) in &self.translations {
            let (title, summary, body) = (one_line(t), one_line(s), text_block(b));
            if title.is_empty() && summary.is_empty() && body.is_empty() {
                continue;
            }
            // The main text now says it is in the translation's language: one of the two would
            // be lost without a word.
            if tl == locale {
                err(
                    "locale",
                    "There is a translation into this language: empty its three fields first, or keep the language as it was.".into(),
                );
                continue;
            }
            let tag = tl.tag();
            if title.is_empty() {
                err(
                    &format!("title_{tag}"),
                    "A translation needs its title (or leave all three empty).".into(),
                );
            }
            for (name, value, max) in
                [("title", &title, TITLE_MAX), ("summary", &summary, SUMMARY_MAX), ("body", &body, BODY_MAX)]
            {
                if let Err(e) = check_len(value, max) {
                    err(&format!("{name}_{tag}"), e);
                }
            }
            translations.push(Translation { locale: tl, title, summary, body });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Campaign {
            kind,
            slug,
            locale,
            title,
            summary,
            body,
            goal,
            postal_country,
            fields,
            require_confirmation: self.require_confirmation,
            captcha: self.captcha,
            recipients,
            translations,
        })
    }
}

/// A campaign that passed the form's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Campaign {
    pub kind: Kind,
    pub slug: String,
    pub locale: Locale,
    pub title: String,
    pub summary: String,
    /// Markdown.
    pub body: String,
    pub goal: i64,
    pub postal_country: String,
    pub fields: FormFields,
    /// New signatures count once the signer confirms their email address.
    pub require_confirmation: bool,
    /// Its form asks for the instance's human check (`CAPTCHA_*`).
    pub captcha: bool,
    pub recipients: Vec<Recipient>,
    /// Its words in other languages, each with a title.
    pub translations: Vec<Translation>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub title: String,
    pub organisation: String,
    /// Where the letter is emailed (never shown in public).
    pub email: Option<String>,
}

impl Recipient {
    pub fn new(name: &str, title: &str, organisation: &str) -> Self {
        Self { name: name.into(), title: title.into(), organisation: organisation.into(), email: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translation {
    pub locale: Locale,
    pub title: String,
    pub summary: String,
    pub body: String,
}

impl Campaign {
    /// What stops this campaign from being shown to the public (none: it may be published).
    pub fn unpublishable(&self) -> CampaignErrors {
        let mut errors = CampaignErrors::new();
        if self.title.is_empty() {
            errors.insert("title".into(), "A published campaign needs a title.".into());
        }
        if self.summary.is_empty() {
            errors.insert(
                "summary".into(),
                "A published campaign needs a summary: it is the page's first lines and its share card."
                    .into(),
            );
        }
        if self.body.is_empty() {
            let what = if self.kind == Kind::Letter { "the letter" } else { "the petition's text" };
            errors.insert("body".into(), format!("A published campaign needs {what}."));
        }
        if self.goal < 1 {
            errors.insert("goal".into(), "A published campaign needs a goal of at least 1.".into());
        }
        if self.kind == Kind::Letter && self.recipients.is_empty() {
            errors.insert("recipients".into(), "An open letter needs at least one recipient.".into());
        }
        for t in &self.translations {
            if t.summary.is_empty() || t.body.is_empty() {
                errors.insert(
                    format!("body_{}", t.locale.tag()),
                    "A translation needs its summary and text too (or leave all three empty).".into(),
                );
            }
        }
        errors
    }

    /// The names of the parts that differ from `other`, for the audit log and for telling an
    /// editor what someone else changed.
    pub fn changes(&self, other: &Self) -> Vec<&'static str> {
        let mut changed = Vec::new();
        let mut part = |name, differs: bool| {
            if differs {
                changed.push(name);
            }
        };
        part("kind", self.kind != other.kind);
        part("slug", self.slug != other.slug);
        part("language", self.locale != other.locale);
        part("title", self.title != other.title);
        part("summary", self.summary != other.summary);
        part("text", self.body != other.body);
        part("goal", self.goal != other.goal);
        part("postal country", self.postal_country != other.postal_country);
        part("form fields", self.fields != other.fields);
        part("email confirmation", self.require_confirmation != other.require_confirmation);
        part("human check", self.captcha != other.captcha);
        part("recipients", self.recipients != other.recipients);
        part("translations", self.translations != other.translations);
        changed
    }
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Open => "open",
        Status::Closed => "closed",
    }
}

pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Petition => "petition",
        Kind::Letter => "letter",
    }
}

/// A slug: what follows `/p/` in the campaign's address.
pub fn check_slug(slug: &str) -> Result<(), String> {
    if slug.is_empty() {
        return Err("Choose the address, like fair-staffing.".into());
    }
    if slug.len() > SLUG_MAX {
        return Err(format!("At most {SLUG_MAX} characters."));
    }
    if !slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || slug.starts_with('-')
        || slug.ends_with('-')
    {
        return Err("Use lower-case letters, digits and hyphens, like fair-staffing-2026.".into());
    }
    Ok(())
}

/// Trimmed, with runs of white space folded into one space.
pub fn one_line(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trimmed, with Windows line ends made plain and control characters (but line breaks and
/// tabs) removed.
fn text_block(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect::<String>()
        .trim()
        .to_owned()
}

fn check_len(value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max { Err(format!("At most {max} characters; this is {n}.")) } else { Ok(()) }
}

fn parse_recipient(line: &str) -> Result<Recipient, String> {
    let parts: Vec<String> = line.split(';').map(one_line).collect();
    let (name, title, organisation, email) = match parts.as_slice() {
        [name, title, organisation] => (name, title, organisation, ""),
        [name, title, organisation, email] => (name, title, organisation, email.as_str()),
        _ => return Err("write “Name; Title; Organisation” or “Name; Title; Organisation; email”, separated by semicolons.".into()),
    };
    if name.is_empty() {
        return Err("the name is missing.".into());
    }
    if [name, title, organisation].iter().any(|p| p.chars().count() > RECIPIENT_PART_MAX) {
        return Err(format!("each part at most {RECIPIENT_PART_MAX} characters."));
    }
    let email = if email.is_empty() {
        None
    } else {
        let parsed = super::Email::parse(email).map_err(|_| format!("“{email}” is not an email address."))?;
        Some(parsed.as_str().to_owned())
    };
    Ok(Recipient { name: name.clone(), title: title.clone(), organisation: organisation.clone(), email })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> CampaignForm {
        CampaignForm::from_pairs(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("kind", "letter"),
            ("slug", "Safe-Staffing"),
            ("locale", "en"),
            ("title", "  Safe   staffing "),
            ("summary", "Sign the letter."),
            ("body", "Dear Ms Ortiz,\r\n\r\nWe ask."),
            ("goal", "5,000"),
            ("postal_country", "us"),
            ("recipients", "Ana Ortiz; CEO; Mercy Health\n\n  Bo Lee;CFO;Mercy Health  "),
            ("ask_worksite", "required"),
            ("ask_postal_code", "optional"),
            ("title_es", "Personal seguro"),
            ("summary_es", "Firma la carta."),
            ("body_es", "Estimada Sra. Ortiz:"),
            ("version", "3"),
        ]
    }

    #[test]
    fn a_good_form_parses_tidied() {
        let c = form(&good()).parse();
        let c = c.as_ref().map_err(|e| format!("{e:?}"));
        let c = c.as_ref().map(|c| {
            (
                c.kind,
                c.slug.as_str(),
                c.title.as_str(),
                c.body.as_str(),
                c.goal,
                c.postal_country.as_str(),
                c.recipients.len(),
                c.translations.len(),
                c.fields.to_string(),
            )
        });
        assert_eq!(
            c,
            Ok((
                Kind::Letter,
                "safe-staffing",
                "Safe staffing",
                "Dear Ms Ortiz,\n\nWe ask.",
                5000,
                "US",
                2,
                1,
                "postal_code:optional worksite:required".to_owned()
            ))
        );
    }

    #[test]
    fn every_error_is_reported_beside_its_field() {
        let errors = form(&[
            ("kind", "poll"),
            ("slug", "no spaces"),
            ("locale", "fr"),
            ("goal", "lots"),
            ("postal_country", "USA"),
            ("recipients", "Only a name"),
            ("ask_phone", "maybe"),
            ("summary_es", "Sin título"),
            ("title", &"x".repeat(TITLE_MAX + 1)),
        ])
        .parse()
        .err()
        .unwrap_or_default();
        let names: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "ask_phone",
                "goal",
                "kind",
                "locale",
                "postal_country",
                "recipients",
                "slug",
                "title",
                "title_es"
            ]
        );
    }

    #[test]
    fn a_language_change_never_drops_a_translation_silently() {
        let errors = form(&with_locale(good(), "es")).parse().err().unwrap_or_default();
        assert_eq!(errors.keys().map(String::as_str).collect::<Vec<_>>(), ["locale"]);
    }

    fn with_locale(
        mut pairs: Vec<(&'static str, &'static str)>,
        locale: &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        pairs.retain(|(k, _)| *k != "locale");
        pairs.push(("locale", locale));
        pairs
    }

    #[test]
    fn a_draft_may_be_incomplete_but_not_published() {
        let draft =
            form(&[("slug", "later"), ("locale", "en"), ("postal_country", "US"), ("kind", "letter")])
                .parse();
        let problems = draft.map(|d| d.unpublishable().into_keys().collect::<Vec<_>>()).unwrap_or_default();
        assert_eq!(problems, ["body", "goal", "recipients", "summary", "title"]);
        let zero = form(&[("goal", "0")]);
        let zero =
            CampaignForm { slug: "x".into(), locale: "en".into(), postal_country: "US".into(), ..zero };
        assert!(zero.parse().is_ok_and(|c| c.unpublishable().contains_key("goal")));
        assert!(form(&good()).parse().is_ok_and(|c| c.unpublishable().is_empty()));
    }

    #[test]
    fn a_stored_campaign_shows_in_the_form_as_it_parses() {
        let Ok(c) = form(&good()).parse() else { panic!("the good form parses") };
        let again = CampaignForm::from_campaign(&c, 7);
        assert_eq!(again.version, "7");
        assert_eq!(again.parse().ok(), Some(c.clone()));
        let mut other = c.clone();
        other.goal = 9;
        other.translations.clear();
        assert_eq!(c.changes(&other), ["goal", "translations"]);
    }
}
