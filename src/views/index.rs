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
    pub locale: Locale,
}

pub fn index_page(meta: &PageMeta, cards: &[Card]) -> Markup {
    let s = meta.locale.strings();
    page(
        meta,
        html! {
            h1 { (s.open_campaigns) }
            @if cards.is_empty() {
                p { (s.no_open_campaigns) }
            } @else {
                ul.cards {
                    @for c in cards {
                        li lang=(c.locale.tag()) {
                            a href={ "/p/" (c.slug) } { (c.title) }
                            p { (c.summary) }
                            (progress(c.locale.strings(), c.count, c.goal))
                        }
                    }
                }
            }
        },
    )
}
