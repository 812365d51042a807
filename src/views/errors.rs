//! Error pages.

use maud::{Markup, html};

use super::layout::{PageMeta, page};
use crate::i18n::Locale;

/// Which error page to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorPage {
    NotFound,
    BadRequest,
    TooLarge,
    TooMany,
    Failed,
}

pub fn error_page(locale: Locale, kind: ErrorPage) -> Markup {
    let (title, body) = match kind {
        ErrorPage::NotFound => (locale.t("not-found-title"), locale.t("not-found-body")),
        ErrorPage::BadRequest => (locale.t("bad-request-title"), locale.t("bad-request-body")),
        ErrorPage::TooLarge => (locale.t("too-large-title"), locale.t("too-large-body")),
        ErrorPage::TooMany => (locale.t("too-many-title"), locale.t("too-many-body")),
        ErrorPage::Failed => (locale.t("error-title"), locale.t("error-body")),
    };
    page(
        &PageMeta::simple(title.as_ref(), locale),
        html! {
            h1 { (title) }
            p { (body) }
            p { a href="/" { (locale.t("all-campaigns")) } }
        },
    )
}
