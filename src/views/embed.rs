//! The signing form as partner sites frame it (`/embed/{slug}`), and its thanks page: the
//! petition's title, the count and the form, without the site's header and footer.

use entity::petition::{Kind, Status};
use maud::{Markup, html};

use super::{
    components::progress,
    layout::{PageMeta, page},
    petition::{FormState, SignFormSpec, closed_notice, lang_if_other, sign_form},
};
use crate::{db::petitions::PetitionRecord, domain::share::Network, i18n::Locale};

pub fn embed_page(rec: &PetitionRecord, locale: Locale, count: i64, form: &FormState<'_>) -> Markup {
    let p = &rec.petition;
    let action = format!("/p/{}/sign", p.slug);
    let spec = SignFormSpec {
        letter: p.kind == Kind::Letter,
        action: &action,
        button: None,
        via: None,
        embed: true,
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

/// After signing in the frame: the count, the signer's own link and share buttons, each of
/// which opens outside the frame.
pub fn embed_thanks(
    rec: &PetitionRecord,
    locale: Locale,
    count: i64,
    personal_link: Option<&str>,
    petition_url: &str,
    already_signed: bool,
) -> Markup {
    let p = &rec.petition;
    let (title, body) = if already_signed {
        (locale.t("already-title"), locale.t("already-body"))
    } else {
        (locale.t("thanks-title"), locale.t("thanks-body"))
    };
    let link = personal_link.unwrap_or(petition_url);
    let share_text = locale.t("share-text");
    let meta = PageMeta {
        title: title.clone().into_owned(),
        locale,
        noindex: true,
        bare: true,
        ..PageMeta::default()
    };
    page(
        &meta,
        html! {
            div.notice role="status" { h1 { (title) } p { (body) } }
            (progress(locale, count, p.goal))
            ul.share {
                @for n in Network::ALL {
                    li { a href=(n.share_url(link, &share_text, rec.content(locale.tag()).title)) rel="noopener noreferrer" target="_blank" { (super::petition::network_label(locale, n)) } }
                }
            }
            @if let Some(personal) = personal_link {
                p {
                    label for="personal-link" { (locale.t("your-link")) }
                    input.link #personal-link type="text" readonly value=(personal);
                }
            }
        },
    )
}
