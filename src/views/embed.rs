//! The signing form as partner sites frame it (`/embed/{slug}`): the petition's title, the
//! count and the form, without the site's header and footer. Its thanks page is the usual one,
//! embedded (`petition::thanks_page`).

use entity::petition::{Kind, Status};
use maud::{Markup, html};

use super::{
    components::progress,
    layout::{PageMeta, page},
    petition::{FormState, SignFormSpec, closed_notice, lang_if_other, sign_form},
};
use crate::{db::petitions::PetitionRecord, i18n::Locale};

pub fn embed_page(rec: &PetitionRecord, locale: Locale, count: i64, form: &FormState<'_>) -> Markup {
    let p = &rec.petition;
    let action = format!("/p/{}/sign", p.slug);
    let spec = SignFormSpec {
        letter: p.kind == Kind::Letter,
        action: &action,
        button: None,
        via: None,
        embed: true,
        fields: rec.fields,
    };
    let c = rec.content(locale.tag());
    let meta =
        PageMeta { title: c.title.to_owned(), locale, noindex: true, bare: true, ..PageMeta::default() };
    page(
        &meta,
        html! {
            h1 lang=[lang_if_other(c.locale, locale)] {
                // The whole petition opens outside the frame.
                a href={ "/p/" (p.slug) } target="_blank" rel="noopener" { (c.title) }
            }
            (progress(locale, count, p.goal))
            @if p.status == Status::Closed {
                (closed_notice(locale))
            } @else {
                (sign_form(locale, &spec, form))
            }
        },
    )
}
