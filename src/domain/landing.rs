//! An ad landing page as staff write it in the browser, and a poster's short code.

use std::collections::BTreeMap;

use entity::landing_page::Status;
use serde::Deserialize;

use super::campaign::{check_slug, one_line};
use crate::i18n::{LOCALES, Locale};

pub const HEADLINE_MAX: usize = 200;
pub const COPY_MAX: usize = 5000;
pub const BUTTON_MAX: usize = 60;
pub const URL_MAX: usize = 500;
pub const SOURCE_MAX: usize = 100;
pub const ALT_MAX: usize = 300;
pub const LABEL_MAX: usize = 200;

/// Field name → what is wrong with it.
pub type FormErrors = BTreeMap<&'static str, String>;

/// The landing page form as posted; every value as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LandingForm {
    pub slug: String,
    pub locale: String,
    pub headline: String,
    pub body: String,
    pub button_text: String,
    pub video_url: String,
    pub source: String,
    pub image_alt: String,
    /// `draft`, `live` or `retired`.
    pub status: String,
}

/// A landing page that passed the form's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landing {
    pub slug: String,
    pub locale: Locale,
    pub headline: String,
    /// Markdown.
    pub body: String,
    pub button_text: Option<String>,
    pub video_url: Option<String>,
    pub source: Option<String>,
    pub image_alt: Option<String>,
    pub status: Status,
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "draft",
        Status::Live => "live",
        Status::Retired => "retired",
    }
}

impl LandingForm {
    pub fn from_model(p: &entity::landing_page::Model) -> Self {
        Self {
            slug: p.slug.clone(),
            locale: p.locale.clone(),
            headline: p.headline.clone(),
            body: p.body.clone(),
            button_text: p.button_text.clone().unwrap_or_default(),
            video_url: p.video_url.clone().unwrap_or_default(),
            source: p.source.clone().unwrap_or_default(),
            image_alt: p.image_alt.clone().unwrap_or_default(),
            status: status_name(p.status).to_owned(),
        }
    }

    /// Parses the form. `has_image`: a live page with a stored image must describe it.
    pub fn parse(&self, has_image: bool) -> Result<Landing, FormErrors> {
        let mut errors = FormErrors::new();
        let optional = |raw: &str| Some(one_line(raw)).filter(|v| !v.is_empty());
        let mut too_long = |name: &'static str, value: &str, max: usize| {
            if value.chars().count() > max {
                errors.insert(name, format!("At most {max} characters."));
            }
        };
        let slug = self.slug.trim().to_ascii_lowercase();
        let headline = one_line(&self.headline);
        let body = self.body.replace("\r\n", "\n").trim().to_owned();
        let button_text = optional(&self.button_text);
        let video_url = optional(&self.video_url);
        let source = optional(&self.source).map(|s| s.to_ascii_lowercase());
        let image_alt = optional(&self.image_alt);
        too_long("headline", &headline, HEADLINE_MAX);
        too_long("body", &body, COPY_MAX);
        too_long("button_text", button_text.as_deref().unwrap_or_default(), BUTTON_MAX);
        too_long("video_url", video_url.as_deref().unwrap_or_default(), URL_MAX);
        too_long("image_alt", image_alt.as_deref().unwrap_or_default(), ALT_MAX);
        if let Err(e) = check_slug(&slug) {
            errors.insert("slug", e);
        }
        let locale = LOCALES.into_iter().find(|l| l.tag() == self.locale.trim());
        if locale.is_none() {
            errors.insert("locale", "Choose the page's language.".into());
        }
        let status = match self.status.trim() {
            "" | "draft" => Status::Draft,
            "live" => Status::Live,
            "retired" => Status::Retired,
            _ => {
                errors.insert("status", "Choose draft, live or retired.".into());
                Status::Draft
            }
        };
        if headline.is_empty() {
            errors.insert(
                "headline",
                "Write the headline: it is the first thing the ad's visitors read.".into(),
            );
        }
        if let Some(url) = &video_url
            && (!url.starts_with("https://")
                || url.contains(char::is_whitespace)
                || url::Url::parse(url).is_err())
        {
            errors.insert("video_url", "Enter the video's address, starting with https://.".into());
        }
        if let Some(s) = &source
            && (s.len() > SOURCE_MAX || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
        {
            errors.insert(
                "source",
                "Use letters, digits, hyphens, dots or underscores, like meta or flyer-oct.".into(),
            );
        }
        if status == Status::Live && has_image && image_alt.is_none() {
            errors.insert(
                "image_alt",
                "Describe the image for people who cannot see it, before the page goes live.".into(),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Landing {
            slug,
            locale: locale.unwrap_or_default(),
            headline,
            body,
            button_text,
            video_url,
            source,
            image_alt,
            status,
        })
    }
}

/// A poster's short code as posted.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    pub code: String,
    pub label: String,
    /// Posted as `code_source`, apart from the page's own `source`.
    #[serde(rename = "code_source")]
    pub source: String,
}

/// A short code that passed its checks: (code, label, source).
pub fn parse_code(form: &CodeForm) -> Result<(String, Option<String>, Option<String>), FormErrors> {
    let mut errors = FormErrors::new();
    let code = form.code.trim().to_ascii_lowercase();
    if let Err(e) = check_slug(&code) {
        errors.insert("code", e.replace("fair-staffing", "ward3"));
    } else if code.len() > 32 {
        errors.insert("code", "At most 32 characters: it is typed from posters.".into());
    }
    let label = Some(one_line(&form.label)).filter(|l| !l.is_empty());
    if label.as_ref().is_some_and(|l| l.chars().count() > LABEL_MAX) {
        errors.insert("label", format!("At most {LABEL_MAX} characters."));
    }
    let source = Some(form.source.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
    if let Some(s) = &source
        && (s.len() > SOURCE_MAX || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)))
    {
        errors.insert("code_source", "Use letters, digits, hyphens, dots or underscores.".into());
    }
    if errors.is_empty() { Ok((code, label, source)) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> LandingForm {
        LandingForm {
            slug: "Nurses-Meta".into(),
            locale: "es".into(),
            headline: "  Personal   seguro ".into(),
            body: "Firma hoy.\r\n".into(),
            video_url: "https://video.example/v/1".into(),
            source: "Meta".into(),
            status: "live".into(),
            ..LandingForm::default()
        }
    }

    #[test]
    fn a_good_form_parses_tidied() {
        let l = form().parse(false).map_err(|e| format!("{e:?}"));
        let l = l.map(|l| (l.slug, l.locale, l.headline, l.body, l.source, l.status, l.button_text));
        assert_eq!(
            l,
            Ok((
                "nurses-meta".into(),
                Locale::Es,
                "Personal seguro".into(),
                "Firma hoy.".into(),
                Some("meta".into()),
                Status::Live,
                None
            ))
        );
    }

    #[test]
    fn bad_values_are_said_beside_their_fields() {
        let bad = LandingForm {
            slug: "no good".into(),
            locale: "fr".into(),
            headline: " ".into(),
            video_url: "javascript:alert(1)".into(),
            source: "a b".into(),
            status: "gone".into(),
            ..form()
        };
        let errors = bad.parse(false).err().unwrap_or_default();
        let names: Vec<&str> = errors.keys().copied().collect();
        assert_eq!(names, ["headline", "locale", "slug", "source", "status", "video_url"]);
        let errors = form().parse(true).err().unwrap_or_default();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["image_alt"],
            "a live image needs its description"
        );
    }

    #[test]
    fn short_codes_are_checked() {
        let ok = parse_code(&CodeForm {
            code: "Ward3".into(),
            label: " Break  room ".into(),
            source: String::new(),
        });
        assert_eq!(ok, Ok(("ward3".into(), Some("Break room".into()), None)));
        let bad = parse_code(&CodeForm { code: "x y".into(), label: String::new(), source: "a b".into() });
        assert_eq!(
            bad.err().unwrap_or_default().keys().copied().collect::<Vec<_>>(),
            ["code", "code_source"]
        );
    }
}
