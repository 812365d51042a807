//! An ad landing page: the ad's own headline, image and copy, the count, and the signing form.

use entity::petition::{Kind, Status};
use maud::{Markup, html};

use super::{
    components::{progress, share_section},
    layout::{PageMeta, page},
    markdown::markdown,
    petition::{FormState, SignFormSpec, closed_notice, lang_if_other, sign_form},
};
use crate::{
    db::{landing::LandingRecord, petitions::PetitionRecord},
    i18n::Locale,
};

/// Everything a landing page shows besides the form.
pub struct LandingView<'a> {
    pub landing: &'a LandingRecord,
    pub petition: &'a PetitionRecord,
    /// The language of the page (the landing page's own text keeps its language).
    pub locale: Locale,
    pub count: i64,
    pub meta: PageMeta,
    /// The hero image: its path and size.
    pub hero: Option<Hero>,
}

/// An image drawn at its own size, so the page does not shift as it loads.
pub struct Hero {
    pub src: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

pub fn landing_page(v: &LandingView<'_>, form: &FormState<'_>) -> Markup {
    let locale = v.locale;
    let l = &v.landing.landing;
    let p = &v.petition.petition;
    let own = lang_if_other(&l.locale, locale);
    let about = v.petition.content(locale.tag());
    let letter = p.kind == Kind::Letter;
    let action = format!("/p/{}/sign", p.slug);
    let spec = SignFormSpec {
        letter,
        action: &action,
        button: l.button_text.as_deref(),
        via: Some(&l.slug),
        embed: false,
        fields: v.petition.fields,
    };
    let button_text = match &l.button_text {
        Some(text) => std::borrow::Cow::Owned(text.clone()),
        None if letter => locale.t("letter-sign-button"),
        None => locale.t("sign-button"),
    };
    page(
        &v.meta,
        html! {
            article.landing {
                // A video is a link (its thumbnail is the hero image, served from here): the
                // video's site hears of the visitor only if they tap it.
                @match (&v.hero, &l.video_url) {
                    (Some(hero), Some(video)) => {
                        a.hero.video href=(video) rel="noopener noreferrer" {
                            img src=(hero.src) alt=(hero.alt) width=(hero.width) height=(hero.height);
                            span.play { (locale.t("watch-video")) }
                        }
                    }
                    (Some(hero), None) => {
                        div.hero { img src=(hero.src) alt=(hero.alt) width=(hero.width) height=(hero.height); }
                    }
                    (None, _) => {}
                }
                h1 lang=[own] { (l.headline) }
                div.lede lang=[own] { (markdown(&l.body)) }
                @if let (None, Some(video)) = (&v.hero, &l.video_url) {
                    p { a.video href=(video) rel="noopener noreferrer" { (locale.t("watch-video")) } }
                }
                (progress(locale, v.count, p.goal))
                @if p.status != Status::Closed {
                    a.button.jump href="#sign" { (button_text) }
                }
                p.about {
                    (locale.t("landing-about")) " "
                    a href={ "/p/" (p.slug) } lang=[lang_if_other(about.locale, locale)] { (about.title) }
                }
            }
            @if p.status == Status::Closed {
                (closed_notice(locale))
            } @else {
                (sign_form(locale, &spec, form))
            }
            (share_section(locale, &p.slug, &format!("?a={}", l.slug)))
        },
    )
}
