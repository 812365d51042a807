//! The petition (or open letter) page with its signing form, and the pages after signing.

use entity::petition::Kind;
use maud::{Markup, PreEscaped, html};

use super::{
    components::{Input, input, paragraphs, progress},
    layout::{PageMeta, page},
};
use crate::{
    db::petitions::PetitionRecord,
    domain::{
        Attribution, FieldErrors, SignForm,
        share::Network,
        signing::{COMMENT_MAX, EMPLOYER_MAX},
    },
    domain::{PersonName, PostalCode},
    i18n::{Locale, Strings},
};

/// Everything a petition page shows besides the form.
pub struct PetitionView<'a> {
    pub rec: &'a PetitionRecord,
    pub locale: Locale,
    pub count: i64,
    pub meta: PageMeta,
    /// Where the form posts (`/p/{slug}/sign`).
    pub action: String,
}

/// The form's state: what was typed, what was wrong, where the signer came from.
pub struct FormState<'a> {
    pub values: &'a SignForm,
    pub errors: &'a FieldErrors,
    /// `None` renders [`VISITOR_SLOT`] where the attribution fields go, for a page that is
    /// rendered once and served to every visitor with their own fields put in.
    pub attribution: Option<&'a Attribution>,
}

/// Where a page rendered with no attribution takes each visitor's hidden fields. Rendered text
/// cannot contain it: maud escapes every `<` that does not come from the template.
pub const VISITOR_SLOT: &str = "<!--visitor-->";

/// The hidden form fields that carry a visitor's first touch into their signature.
pub fn hidden_fields(attribution: &Attribution) -> Markup {
    html! {
        @for (name, value) in attribution.hidden_fields() {
            input type="hidden" name=(name) value=(value);
        }
    }
}

pub fn petition_page(v: &PetitionView<'_>, form: &FormState<'_>) -> Markup {
    let s = v.locale.strings();
    let p = &v.rec.petition;
    let letter = p.kind == Kind::Letter;
    page(
        &v.meta,
        html! {
            article {
                @if let Some(img) = &p.image_url { div.hero { img src=(img) alt="" width="800" height="420"; } }
                h1 { (p.title) }
                p.lede { (p.summary) }
                (progress(s, v.count, p.goal))
                a.button.jump href="#sign" { (if letter { s.letter_sign_button } else { s.sign_button }) }
                @if letter && !v.rec.recipients.is_empty() {
                    h2 { (s.to_recipients) }
                    ul.recipients {
                        @for r in &v.rec.recipients {
                            li { strong { (r.name) } ", " (r.title) ", " (r.organisation) }
                        }
                    }
                }
                @if letter {
                    h2 { (s.read_letter) }
                    div.letter { (paragraphs(&p.body)) }
                } @else {
                    (paragraphs(&p.body))
                }
            }
            (sign_form(s, letter, &v.action, form))
        },
    )
}

fn sign_form<'a>(s: &'a Strings, letter: bool, action: &str, form: &'a FormState<'a>) -> Markup {
    let f = form.values;
    // The first invalid field, in the order the form shows them, gets focus on load.
    let mut focus_taken = false;
    let mut field =
        |name: &'static str, label: &'a str, value: &'a str, kind, autocomplete, max, optional| {
            let error = form.errors.get(name).copied();
            let autofocus = error.is_some() && !focus_taken;
            focus_taken |= autofocus;
            Input { name, label, value, kind, autocomplete, max, optional, error, autofocus }
        };
    let opt = Some(s.optional);
    let fields = [
        field("given_name", s.given_name, &f.given_name, "text", "given-name", PersonName::MAX, None),
        field("family_name", s.family_name, &f.family_name, "text", "family-name", PersonName::MAX, None),
        field("email", s.email, &f.email, "email", "email", 254, None),
        field("postal_code", s.postal_code, &f.postal_code, "text", "postal-code", PostalCode::MAX, None),
        field("phone", s.phone, &f.phone, "tel", "tel", 32, opt),
        field("employer", s.employer, &f.employer, "text", "organization", EMPLOYER_MAX, opt),
        field("comment", s.comment, &f.comment, "textarea", "off", COMMENT_MAX, opt),
    ];
    html! {
        form.sign #sign method="post" action=(action) novalidate {
            h2 { (if letter { s.letter_sign_heading } else { s.sign_heading }) }
            @if !form.errors.is_empty() {
                div.summary role="alert" {
                    p { strong { (s.errors_summary) } }
                    ul {
                        @for i in &fields {
                            @if let Some(e) = i.error {
                                li { a href={ "#f-" (i.name) } { (i.label) ": " (s.field_error(e)) } }
                            }
                        }
                    }
                }
            }
            @for i in &fields { (input(s, i)) }
            div.check {
                input #f-email_opt_in type="checkbox" name="email_opt_in" value="on" checked[f.email_opt_in.is_some()];
                label for="f-email_opt_in" { (s.email_opt_in) }
            }
            @if letter {
                div.check {
                    input #f-public_name type="checkbox" name="public_name" value="on" checked[f.public_name.is_some()];
                    label for="f-public_name" { (s.public_name) }
                }
            }
            div.hp aria-hidden="true" {
                label for="f-website" { (s.honeypot_label) }
                input #f-website type="text" name="website" tabindex="-1" autocomplete="off" value=(f.website);
            }
            @match form.attribution {
                Some(a) => (hidden_fields(a)),
                None => (PreEscaped(VISITOR_SLOT)),
            }
            button type="submit" { (if letter { s.letter_sign_button } else { s.sign_button }) }
            p.privacy { (s.privacy_note) }
        }
    }
}

/// After signing (or signing again): the count, share buttons and the signer's own link.
pub struct ThanksView<'a> {
    pub rec: &'a PetitionRecord,
    pub locale: Locale,
    pub count: i64,
    /// The signer's personal share link, when known (from their cookie).
    pub personal_link: Option<String>,
    /// The petition's public URL, shared when there is no personal link.
    pub petition_url: String,
    pub already_signed: bool,
}

pub fn thanks_page(v: &ThanksView<'_>) -> Markup {
    let s = v.locale.strings();
    let p = &v.rec.petition;
    let (title, body) =
        if v.already_signed { (s.already_title, s.already_body) } else { (s.thanks_title, s.thanks_body) };
    let link = v.personal_link.as_deref().unwrap_or(&v.petition_url);
    page(
        &PageMeta::simple(title, v.locale),
        html! {
            div.notice role="status" {
                h1 { (title) }
                p { (body) }
            }
            h2 { (p.title) }
            (progress(s, v.count, p.goal))
            h2 { (s.share_heading) }
            ul.share {
                @for n in Network::ALL {
                    li { a href=(n.share_url(link, s.share_text, &p.title)) rel="noopener noreferrer" target="_blank" { (n.label()) } }
                }
            }
            @if let Some(personal) = &v.personal_link {
                p {
                    label for="personal-link" { (s.your_link) }
                    input.link #personal-link type="text" readonly value=(personal);
                }
            }
            p { a href={ "/p/" (p.slug) } { (s.back_to_petition) } }
        },
    )
}

/// A petition that is a draft or closed.
pub fn not_open_page(rec: &PetitionRecord, locale: Locale, count: i64) -> Markup {
    let s = locale.strings();
    let p = &rec.petition;
    let body = match p.status {
        entity::petition::Status::Draft => s.draft_body,
        _ => s.closed_body,
    };
    page(
        &PageMeta::simple(s.not_open_title, locale),
        html! {
            h1 { (p.title) }
            div.notice role="status" { h2 { (s.not_open_title) } p { (body) } }
            (progress(s, count, p.goal))
            p { a href="/" { (s.all_campaigns) } }
        },
    )
}
