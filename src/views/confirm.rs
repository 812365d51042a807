//! The page a confirmation link opens: a button that confirms, or why the link does not work.

use maud::{Markup, html};

use super::layout::{PageMeta, page};
use crate::i18n::Locale;

/// What the page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmView<'a> {
    /// The link is good: its button confirms the signature on the petition titled so.
    Open { title: &'a str, action: &'a str },
    /// Used already: the signature counts. The petition's path, to go back to it.
    Used { title: &'a str, petition: &'a str },
    /// Too old: signing again sends a new link.
    Expired { title: &'a str, petition: &'a str },
    /// No such link.
    Unknown,
}

pub fn confirm_page(locale: Locale, view: ConfirmView<'_>) -> Markup {
    let (heading, body) = match view {
        ConfirmView::Open { title, .. } => {
            (locale.t("confirm-title"), locale.t_with("confirm-body", &[("title", title.to_owned().into())]))
        }
        ConfirmView::Used { title, .. } => (
            locale.t("confirm-used-title"),
            locale.t_with("confirm-used-body", &[("title", title.to_owned().into())]),
        ),
        ConfirmView::Expired { title, .. } => (
            locale.t("confirm-expired-title"),
            locale.t_with("confirm-expired-body", &[("title", title.to_owned().into())]),
        ),
        ConfirmView::Unknown => (locale.t("confirm-unknown-title"), locale.t("confirm-unknown-body")),
    };
    page(
        &PageMeta::simple(heading.as_ref(), locale),
        html! {
            h1 { (heading) }
            p { (body) }
            @match view {
                ConfirmView::Open { action, .. } => {
                    form method="post" action=(action) {
                        button type="submit" { (locale.t("confirm-button")) }
                    }
                }
                ConfirmView::Used { petition, .. } => {
                    p { a href=(petition) { (locale.t("back-to-petition")) } }
                }
                ConfirmView::Expired { petition, .. } => {
                    p { a href=(petition) { (locale.t("confirm-sign-again")) } }
                }
                ConfirmView::Unknown => {
                    p { a href="/" { (locale.t("all-campaigns")) } }
                }
            }
        },
    )
}
