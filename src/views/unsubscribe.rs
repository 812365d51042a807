//! The page an update email's unsubscribe link opens: a button that stops those emails, or
//! that they are stopped, or why the link does not work.

use maud::{Markup, html};

use super::layout::{PageMeta, page};
use crate::i18n::Locale;

/// What the page says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsubscribeView<'a> {
    /// Still sent: the button stops them (posting to `action`).
    Open { title: &'a str, action: &'a str },
    /// Stopped.
    Done { title: &'a str },
    /// No such link.
    Unknown,
}

pub fn unsubscribe_page(locale: Locale, view: UnsubscribeView<'_>) -> Markup {
    let (heading, body) = match view {
        UnsubscribeView::Open { title, .. } => (
            locale.t("unsubscribe-title"),
            locale.t_with("unsubscribe-body", &[("title", title.to_owned().into())]),
        ),
        UnsubscribeView::Done { title } => (
            locale.t("unsubscribe-done-title"),
            locale.t_with("unsubscribe-done-body", &[("title", title.to_owned().into())]),
        ),
        UnsubscribeView::Unknown => {
            (locale.t("unsubscribe-unknown-title"), locale.t("unsubscribe-unknown-body"))
        }
    };
    page(
        &PageMeta::simple(heading.as_ref(), locale),
        html! {
            h1 { (heading) }
            @if let UnsubscribeView::Done { .. } = view {
                p #stopped { (body) }
            } @else {
                p { (body) }
            }
            @if let UnsubscribeView::Open { action, .. } = view {
                form method="post" action=(action) {
                    input type="hidden" name="List-Unsubscribe" value="One-Click";
                    button type="submit" { (locale.t("unsubscribe-button")) }
                }
            }
        },
    )
}
