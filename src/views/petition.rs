//! The petition (or open letter) page with its signing form, and the pages after signing.

use std::borrow::Cow;

use entity::petition::{Kind, Status};
use maud::{Markup, PreEscaped, html};

use super::{
    components::{Input, field_error, input, progress, share_buttons, share_section},
    layout::{PageMeta, page},
    markdown::markdown,
};
use crate::{
    db::petitions::PetitionRecord,
    domain::{
        Ask, Attribution, Field, FieldErrors, FormFields, PersonName, PostalCode, SignForm,
        share::{Network, next_goal},
        signing::{COMMENT_MAX, EMPLOYER_MAX, JOB_TITLE_MAX, WORKSITE_MAX},
    },
    i18n::Locale,
};

/// Everything a petition page shows besides the form.
pub struct PetitionView<'a> {
    pub rec: &'a PetitionRecord,
    /// The language of the page (the petition's own text keeps its language).
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
    /// The issued-at token ([`crate::limits::FormTokens`]); empty for none.
    pub token: &'a str,
    /// The human check's provider and site key, when the petition asks for it.
    pub captcha: Option<(crate::captcha::Provider, &'a str)>,
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
    let locale = v.locale;
    let p = &v.rec.petition;
    let letter = p.kind == Kind::Letter;
    let closed = p.status == Status::Closed;
    let sign_button = if letter { locale.t("letter-sign-button") } else { locale.t("sign-button") };
    let c = v.rec.content(locale.tag());
    let own = lang_if_other(c.locale, locale);
    page(
        &v.meta,
        html! {
            article {
                // Only an image served from here is drawn: one from elsewhere would tell its host who
                // reads the petition. (It can still be the share card's picture.)
                @if let Some(img) = p.image_url.as_deref().filter(|i| i.starts_with('/') && !i.starts_with("//")) {
                    div.hero { img src=(img) alt="" width="800" height="420"; }
                }
                h1 lang=[own] { (c.title) }
                p.lede lang=[own] { (c.summary) }
                (progress(locale, v.count, p.goal))
                @if closed {
                    (closed_notice(locale))
                } @else {
                    a.button.jump href="#sign" { (sign_button) }
                }
                @if letter && !v.rec.recipients.is_empty() {
                    h2 { (locale.t("to-recipients")) }
                    ul.recipients lang=[own] {
                        @for r in &v.rec.recipients {
                            li { strong { (r.name) } ", " (r.title) ", " (r.organisation) }
                        }
                    }
                }
                @for d in &v.rec.deliveries {
                    p.delivered {
                        (delivered(locale, d)) " "
                        a href={ "/d/" (d.public_id) } { (locale.t("delivered-record")) }
                    }
                }
                @if letter {
                    h2 { (locale.t("read-letter")) }
                    div.letter lang=[own] { (markdown(c.body)) }
                } @else {
                    div lang=[own] { (markdown(c.body)) }
                }
            }
            @if !closed { (sign_form(locale, &SignFormSpec { letter, action: &v.action, button: None, via: None, embed: false, fields: v.rec.fields }, form)) }
            (share_section(locale, &p.slug, ""))
        },
    )
}

/// "Delivered to Dana Whitfield and Sam Ortiz with 1,234 signatures on 27 November 2026."
fn delivered(locale: Locale, d: &crate::db::deliveries::Summary) -> String {
    let count = locale.count(d.total).into_owned();
    let date = locale.date(d.created_at);
    if d.recipients.is_empty() {
        locale.t_with("delivered-nobody", &[("count", count.into()), ("date", date.into())]).into_owned()
    } else {
        let recipients = crate::views::components::list_of(locale, &d.recipients);
        let args = [("recipients", recipients.into()), ("count", count.into()), ("date", date.into())];
        locale.t_with("delivered", &args).into_owned()
    }
}

/// `lang` for text written in `tag` on a page in `page`, when the two differ.
pub(crate) fn lang_if_other(tag: &str, page: Locale) -> Option<&'static str> {
    let own = Locale::parse(tag);
    (own != page).then_some(own.tag())
}

pub(crate) fn closed_notice(locale: Locale) -> Markup {
    html! {
        div.notice role="status" {
            h2 { (locale.t("closed-title")) }
            p { (locale.t("closed-body")) }
        }
    }
}

/// Where and how a signing form posts.
pub(crate) struct SignFormSpec<'a> {
    /// A letter's form has the public-name choice and letter wording.
    pub letter: bool,
    /// `/p/{slug}/sign`.
    pub action: &'a str,
    /// The button's text, when the page has its own.
    pub button: Option<&'a str>,
    /// The landing page the form is on, so that the signer comes back to it.
    pub via: Option<&'a str>,
    /// The form is framed on a partner's site (`/embed/{slug}`), and answers stay in the frame.
    pub embed: bool,
    /// What the form asks for besides name and email.
    pub fields: FormFields,
}

pub(crate) fn sign_form<'a>(locale: Locale, spec: &SignFormSpec<'_>, form: &'a FormState<'a>) -> Markup {
    let (letter, action) = (spec.letter, spec.action);
    let f = form.values;
    // The first invalid field, in the order the form shows them, gets focus on load.
    let mut focus_taken = false;
    let mut field =
        |name: &'static str, label: Cow<'static, str>, value: &'a str, kind, autocomplete, max, optional| {
            let error = form.errors.get(name).copied();
            let autofocus = error.is_some() && !focus_taken;
            focus_taken |= autofocus;
            Input { name, label, value, kind, autocomplete, max, optional, error, autofocus }
        };
    let mut fields = vec![
        field(
            "given_name",
            locale.t("field-given-name"),
            &f.given_name,
            "text",
            "given-name",
            PersonName::MAX,
            false,
        ),
        field(
            "family_name",
            locale.t("field-family-name"),
            &f.family_name,
            "text",
            "family-name",
            PersonName::MAX,
            false,
        ),
        field("email", locale.t("field-email"), &f.email, "email", "email", 254, false),
    ];
    for asked in Field::ALL.into_iter().filter(|a| spec.fields.shows(*a)) {
        let optional = spec.fields.ask(asked) == Ask::Optional;
        let (label, value, kind, autocomplete, max) = match asked {
            Field::PostalCode => {
                (locale.t("field-postal-code"), &f.postal_code, "text", "postal-code", PostalCode::MAX)
            }
            Field::Phone => (locale.t("field-phone"), &f.phone, "tel", "tel", 32),
            Field::Employer => {
                (locale.t("field-employer"), &f.employer, "text", "organization", EMPLOYER_MAX)
            }
            Field::JobTitle => {
                (locale.t("field-job-title"), &f.job_title, "text", "organization-title", JOB_TITLE_MAX)
            }
            Field::Worksite => (locale.t("field-worksite"), &f.worksite, "text", "off", WORKSITE_MAX),
            Field::Comment => (locale.t("field-comment"), &f.comment, "textarea", "off", COMMENT_MAX),
        };
        fields.push(field(asked.name(), label, value, kind, autocomplete, max, optional));
    }
    let sign_button = match spec.button {
        Some(text) => Cow::Owned(text.to_owned()),
        None if letter => locale.t("letter-sign-button"),
        None => locale.t("sign-button"),
    };
    html! {
        form.sign #sign method="post" action=(action) novalidate {
            h2 { (if letter { locale.t("letter-sign-heading") } else { locale.t("sign-heading") }) }
            @if !form.errors.is_empty() {
                div.summary role="alert" {
                    p { strong { (locale.t("errors-summary")) } }
                    ul {
                        @for i in &fields {
                            @if let Some(e) = i.error {
                                li { a href={ "#f-" (i.name) } { (i.label) ": " (field_error(locale, e)) } }
                            }
                        }
                    }
                }
            }
            @for i in &fields { (input(locale, i)) }
            div.check {
                input #f-email_opt_in type="checkbox" name="email_opt_in" value="on" checked[f.email_opt_in.is_some()];
                label for="f-email_opt_in" { (locale.t("email-opt-in")) }
            }
            @if letter {
                div.check {
                    input #f-public_name type="checkbox" name="public_name" value="on" checked[f.public_name.is_some()];
                    label for="f-public_name" { (locale.t("public-name")) }
                }
            }
            div.hp aria-hidden="true" {
                label for="f-website" { (locale.t("honeypot-label")) }
                input #f-website type="text" name="website" tabindex="-1" autocomplete="off" value=(f.website);
            }
            @if let Some(via) = spec.via { input type="hidden" name="via" value=(via); }
            @if spec.embed { input type="hidden" name="embed" value="1"; }
            @if !form.token.is_empty() { input type="hidden" name="form_token" value=(form.token); }
            @if let Some((provider, site_key)) = form.captcha {
                div class=(provider.widget_class()) data-sitekey=(site_key) {}
                script src=(provider.script()) async defer {}
            }
            @match form.attribution {
                Some(a) => (hidden_fields(a)),
                None => (PreEscaped(VISITOR_SLOT)),
            }
            button type="submit" { (sign_button) }
            p.privacy { (locale.t("privacy-note")) }
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
    /// What the share buttons pass on to the share redirect: the signer's code and the
    /// landing page they signed on (`?ref=…&a=…`, or empty).
    pub share_query: String,
    pub said: Said,
    /// Shown in a partner's frame (`/embed/{slug}/thanks`): no site header, footer or way back
    /// to the petition page.
    pub embedded: bool,
}

/// What the thanks page says first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// Signed and counted.
    Thanks,
    /// Signed; counts once the signer confirms their address (the email is on its way).
    Pending,
    /// This person had signed before.
    AlreadySigned,
}

pub fn thanks_page(v: &ThanksView<'_>) -> Markup {
    let locale = v.locale;
    let p = &v.rec.petition;
    let (title, body) = match v.said {
        Said::AlreadySigned => (locale.t("already-title"), locale.t("already-body")),
        Said::Pending => (locale.t("thanks-pending-title"), locale.t("thanks-pending-body")),
        Said::Thanks => (locale.t("thanks-title"), locale.t("thanks-body")),
    };
    let c = v.rec.content(locale.tag());
    let mut meta = PageMeta::simple(title.as_ref(), locale);
    // The script only adds the copy button of the signer's own link.
    meta.script = v.personal_link.is_some();
    if v.embedded {
        meta.bare = true;
    } else {
        meta.path = Some(format!("/p/{}/thanks", p.slug));
    }
    let goal = next_goal(v.count, p.goal);
    page(
        &meta,
        html! {
            div.notice role="status" {
                h1 { (title) }
                p { (body) }
            }
            h2 lang=[lang_if_other(c.locale, locale)] { (c.title) }
            (progress(locale, v.count, p.goal))
            p.next-goal { (locale.t_with("next-goal", &[("goal", goal.into())])) }
            h2 { (locale.t("share-heading")) }
            (share_buttons(locale, &p.slug, &Network::ALL, &v.share_query))
            @if let Some(personal) = &v.personal_link {
                div.copy {
                    label for="personal-link" { (locale.t("your-link")) }
                    input.link #personal-link type="text" readonly value=(personal);
                    // Shown by the script; without it the field above is there to select.
                    button.secondary type="button" hidden data-copy="personal-link" data-status="copy-status" {
                        (locale.t("share-copy"))
                    }
                    span #copy-status role="status" data-done=(locale.t("share-copied")) {}
                }
            }
            @if !v.embedded {
                p { a href={ "/p/" (p.slug) } { (locale.t("back-to-petition")) } }
            }
        },
    )
}
