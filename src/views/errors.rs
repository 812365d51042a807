//! Error pages.

use maud::{Markup, html};

use super::layout::{PageMeta, page};
use crate::i18n::Locale;

pub fn error_page(locale: Locale, title: &str, body: &str) -> Markup {
    page(
        &PageMeta::simple(title, locale),
        html! {
            h1 { (title) }
            p { (body) }
            p { a href="/" { (locale.strings().all_campaigns) } }
        },
    )
}
