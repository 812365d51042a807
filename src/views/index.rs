//! The home page: open petitions and letters.

use maud::{Markup, html};

use super::{
    components::progress,
    layout::{PageMeta, page},
};
use crate::i18n::Locale;

/// One card on the home page.
pub struct Card {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub count: i64,
    pub goal: i64,
    /// The language the petition is written in.
    pub locale: Locale,
}

/// The home page; `needs_setup` when no staff account exists yet.
pub fn index_page(meta: &PageMeta, cards: &[Card], needs_setup: bool) -> Markup {
    let locale = meta.locale;
    page(
        meta,
        html! {
            @if needs_setup {
                div.alert role="status" { p { (locale.t("setup-notice")) } }
            }
            h1 { (locale.t("open-campaigns")) }
            @if cards.is_empty() {
                p { (locale.t("no-open-campaigns")) }
            } @else {
                ul.cards {
                    @for c in cards {
                        li {
                            div lang=[(c.locale != locale).then_some(c.locale.tag())] {
                                a href={ "/p/" (c.slug) } { (c.title) }
                                p { (c.summary) }
                            }
                            (progress(locale, c.count, c.goal))
                        }
                    }
                }
            }
        },
    )
}
