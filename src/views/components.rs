//! Small pieces shared by several pages.

use std::borrow::Cow;

use maud::{Markup, html};

use crate::{
    domain::{FieldError, share::Network},
    i18n::Locale,
};

/// The count and a progress bar toward the goal.
pub fn progress(locale: Locale, count: i64, goal: i64) -> Markup {
    let max = goal.max(count).max(1);
    let tally = locale.count(count);
    html! {
        div.count {
            p { strong.tally { (tally) } }
            progress value=(count) max=(max) aria-label=(tally) {}
            @if goal > 0 { p.goal { (locale.t_with("goal", &[("goal", goal.into())])) } }
        }
    }
}

/// Share buttons for the petition `slug`: each is a link through the recording redirect
/// (`/p/{slug}/share/{network}`), with `query` (`?ref=…&a=…`, or empty) passed on.
pub fn share_buttons(locale: Locale, slug: &str, networks: &[Network], query: &str) -> Markup {
    html! {
        ul.share {
            @for n in networks {
                li {
                    a href={ "/p/" (slug) "/share/" (n.slug()) (query) } rel="nofollow noopener noreferrer" target="_blank" {
                        (network_label(locale, *n))
                    }
                }
            }
        }
    }
}

/// A network's name on its share button; only the generic ones are words to translate.
fn network_label(locale: Locale, n: Network) -> Cow<'static, str> {
    match n {
        Network::Email => locale.t("share-email"),
        Network::Sms => locale.t("share-sms"),
        _ => Cow::Borrowed(n.label()),
    }
}

/// The few share buttons of a page before signing, under their heading.
pub fn share_section(locale: Locale, slug: &str, query: &str) -> Markup {
    html! {
        section.sharing aria-labelledby="share-heading" {
            h2 #share-heading { (locale.t("share-heading")) }
            (share_buttons(locale, slug, &Network::ON_PAGES, query))
        }
    }
}

/// Why a field was refused, in the visitor's language.
pub fn field_error(locale: Locale, e: FieldError) -> Cow<'static, str> {
    match e {
        FieldError::Required => locale.t("err-required"),
        FieldError::TooLong(max) => {
            let max = i64::try_from(max).unwrap_or(i64::MAX);
            locale.t_with("err-too-long", &[("max", max.into())])
        }
        FieldError::ControlChars => locale.t("err-control-chars"),
        FieldError::InvalidName => locale.t("err-invalid-name"),
        FieldError::InvalidEmail => locale.t("err-invalid-email"),
        FieldError::InvalidPostalCode("US") => locale.t("err-invalid-zip"),
        FieldError::InvalidPostalCode(_) => locale.t("err-invalid-postal-code"),
        FieldError::InvalidPhone => locale.t("err-invalid-phone"),
    }
}

/// How an input is drawn.
pub struct Input<'a> {
    pub name: &'static str,
    pub label: Cow<'static, str>,
    pub value: &'a str,
    /// `text`, `email`, `tel` or `textarea`.
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub max: usize,
    pub optional: bool,
    pub error: Option<FieldError>,
    /// The first invalid field gets focus on page load (works without JavaScript).
    pub autofocus: bool,
}

/// A labelled input with its error above it, tied by `aria-describedby`.
pub fn input(locale: Locale, f: &Input<'_>) -> Markup {
    let id = format!("f-{}", f.name);
    let err_id = format!("e-{}", f.name);
    let described = f.error.map(|_| err_id.as_str());
    html! {
        div.field.has-error[f.error.is_some()] {
            label for=(id) {
                (f.label)
                @if f.optional { " " span.opt { "(" (locale.t("optional")) ")" } }
            }
            @if let Some(e) = f.error {
                p.error id=(err_id) { span.visually-hidden { (locale.t("error-prefix")) " " } (field_error(locale, e)) }
            }
            @if f.kind == "textarea" {
                textarea id=(id) name=(f.name) maxlength=(f.max) aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[described] autofocus[f.autofocus] { (f.value) }
            } @else {
                input id=(id) name=(f.name) type=(f.kind) value=(f.value) autocomplete=(f.autocomplete)
                    maxlength=(f.max) required[!f.optional] aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[described] autofocus[f.autofocus]
                    inputmode=[(f.kind == "tel").then_some("tel")];
            }
        }
    }
}

/// Names joined the local way: `A`, `A and B`, `A, B and C` (`y` in Spanish).
pub fn list_of(locale: Locale, items: &[String]) -> String {
    let and = match locale {
        Locale::En => " and ",
        Locale::Es => " y ",
    };
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}{and}{last}", rest.join(", ")),
    }
}
