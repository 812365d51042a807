//! The campaign editor: creating and editing a petition or letter, its words in each
//! language, what its form asks, its status, and its paper or offline signatures.

use maud::{Markup, html};

use super::{
    Chrome, admin_page, csrf_field, error_summary, landing::LandingRow, language_name, select_error,
    signatures, title_or_untitled,
};
use crate::{
    domain::{
        Ask, Field,
        campaign::{BODY_MAX, CampaignErrors, CampaignForm, SLUG_MAX, SUMMARY_MAX, TITLE_MAX},
    },
    i18n::LOCALES,
};

/// A campaign's state, for the editor of a campaign that exists.
pub struct Existing<'a> {
    pub id: i64,
    /// `draft`, `open` or `closed`.
    pub status: &'static str,
    /// The public count (signatures and offline).
    pub count: i64,
    /// Paper or offline signatures, and their batches (newest first).
    pub offline: i64,
    pub batches: &'a [OfflineRow],
    /// Who saved it last, and when (UTC).
    pub saved: Option<(String, String)>,
    pub landings: &'a [LandingRow],
}

/// A batch of offline signatures as listed.
pub struct OfflineRow {
    pub at: String,
    pub count: i64,
    pub note: String,
    pub actor: String,
}

/// What the editor shows.
pub struct EditorView<'a> {
    pub chrome: Chrome<'a>,
    /// `None` for a new campaign.
    pub existing: Option<Existing<'a>>,
    pub form: &'a CampaignForm,
    pub errors: &'a CampaignErrors,
    /// Someone saved the campaign while this editor had it open: what they changed.
    pub conflict: Option<String>,
    /// The offline form as typed, and what was wrong with it.
    pub offline_form: (&'a str, &'a str),
    pub offline_error: Option<&'a str>,
    /// The instance's human check (`CAPTCHA_PROVIDER`), if it has one, by name.
    pub captcha: Option<&'static str>,
}

/// Labels for the choosable form fields.
fn field_label(field: Field) -> &'static str {
    match field {
        Field::PostalCode => "Postal code",
        Field::Phone => "Phone",
        Field::Employer => "Employer",
        Field::JobTitle => "Job title or role",
        Field::Worksite => "Worksite",
        Field::Comment => "Comment (why they sign)",
    }
}

/// A text input or area with its label, hint and error, tied together for screen readers.
pub(super) struct Input<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub value: &'a str,
    pub hint: Option<&'a str>,
    pub max: usize,
    /// Rows of a text area; 0 for a one-line input.
    pub rows: u8,
    pub readonly: bool,
}

pub(super) fn input(i: &Input<'_>, errors: &CampaignErrors) -> Markup {
    let id = format!("f-{}", i.name);
    let error = errors.get(i.name);
    let hint_id = i.hint.map(|_| format!("h-{}", i.name));
    let err_id = error.map(|_| format!("e-{}", i.name));
    let described =
        [hint_id.as_deref(), err_id.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let described = (!described.is_empty()).then_some(described);
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (i.label) }
            @if let (Some(hint), Some(hint_id)) = (i.hint, &hint_id) { p.hint id=(hint_id) { (hint) } }
            @if let (Some(e), Some(err_id)) = (error, &err_id) {
                p.error id=(err_id) { span.visually-hidden { "Error: " } (e) }
            }
            @if i.rows == 0 {
                input id=(id) name=(i.name) type="text" value=(i.value) maxlength=(i.max) readonly[i.readonly]
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
            } @else {
                textarea id=(id) name=(i.name) rows=(i.rows) maxlength=(i.max)
                    aria-invalid=[error.map(|_| "true")] aria-describedby=[described] { (i.value) }
            }
        }
    }
}

/// `/admin/campaigns/new` and `/admin/campaigns/{id}`.
pub fn editor_page(v: &EditorView<'_>) -> Markup {
    let f = v.form;
    let draft = v.existing.as_ref().is_none_or(|e| e.status == "draft");
    let title = match &v.existing {
        Some(_) => format!("Edit: {}", title_or_untitled(f.title.trim())),
        None => "New campaign".to_owned(),
    };
    let action = match &v.existing {
        Some(e) => format!("/admin/campaigns/{}", e.id),
        None => "/admin/campaigns".to_owned(),
    };
    let own = LOCALES.into_iter().find(|l| l.tag() == f.locale.trim()).unwrap_or_default();
    let ask = |field: Field| f.asks.get(&field).map_or("no", String::as_str);
    admin_page(
        &title,
        &v.chrome,
        html! {
            h1 { (title) }
            @if let Some(e) = &v.existing {
                p {
                    "Status: " strong { (e.status) } ". " (signatures(e.count))
                    @if e.offline != 0 { ", " (e.offline) " of them offline" } "."
                    @if let Some((who, at)) = &e.saved { " Last saved by " (who) " at " (at) " UTC." }
                }
                p {
                    "Preview as the public will see it: "
                    @for (i, l) in LOCALES.into_iter().enumerate() {
                        @if i > 0 { " · " }
                        a href={ "/admin/campaigns/" (e.id) "/preview?lang=" (l.tag()) } { (language_name(l)) }
                    }
                    @if e.status != "draft" { " · " a href={ "/p/" (f.slug.trim()) } { "Public page" } }
                }
                p { a href={ "/admin/campaigns/" (e.id) "/signatures" } { "Signatures: search, invalidate, restore" } }
            }
            @if let Some(conflict) = &v.conflict {
                div.alert role="alert" {
                    p { strong { "Not saved: someone else saved this campaign while you were editing it." } }
                    p { (conflict) }
                    p { "Your changes are below, not saved. Check them against the current version (open it in another tab), then save again to replace it." }
                }
            }
            (error_summary(v.errors.iter().map(|(name, e)| (name.as_ref(), e.as_str()))))
            form.edit method="post" action=(action) novalidate {
                (csrf_field(v.chrome.csrf))
                input type="hidden" name="version" value=(f.version);
                fieldset {
                    legend { "What it is" }
                    @if draft {
                        fieldset.field.has-error[v.errors.contains_key("kind")] {
                            legend { "Kind" }
                            (select_error("kind", v.errors.get("kind").map(String::as_str)).0)
                            div.check {
                                input #f-kind type="radio" name="kind" value="petition" checked[f.kind != "letter"];
                                label for="f-kind" { "Petition" }
                            }
                            div.check {
                                input #f-kind-letter type="radio" name="kind" value="letter" checked[f.kind == "letter"];
                                label for="f-kind-letter" { "Open letter, delivered to named recipients" }
                            }
                        }
                    } @else {
                        input type="hidden" name="kind" value=(f.kind);
                        p { "Kind: " (if f.kind == "letter" { "open letter" } else { "petition" }) " (fixed once published)." }
                    }
                    (input(&Input {
                        name: "slug",
                        label: "Address",
                        value: &f.slug,
                        hint: Some(if draft { "The page will be /p/ followed by this: lower-case letters, digits and hyphens." } else { "Fixed once published: ads and posters link to it." }),
                        max: SLUG_MAX,
                        rows: 0,
                        readonly: !draft,
                    }, v.errors))
                    div.field.has-error[v.errors.contains_key("locale")] {
                        label for="f-locale" { "Language of the text below" }
                        @let (shown, invalid, described) = select_error("locale", v.errors.get("locale").map(String::as_str));
                        (shown)
                        select #f-locale name="locale" aria-invalid=[invalid] aria-describedby=[described] {
                            @for l in LOCALES { option value=(l.tag()) selected[l == own] { (language_name(l)) } }
                        }
                    }
                    (input(&Input { name: "goal", label: "Goal (signatures)", value: &f.goal, hint: Some("When the count passes it, the page shows the next goal."), max: 12, rows: 0, readonly: false }, v.errors))
                    (input(&Input { name: "postal_country", label: "Country of postal codes", value: &f.postal_country, hint: Some("Two letters, like US or MX: postal codes are checked for this country."), max: 2, rows: 0, readonly: false }, v.errors))
                }
                fieldset {
                    legend { "The words, in " (language_name(own)) }
                    (input(&Input { name: "title", label: "Title", value: &f.title, hint: None, max: TITLE_MAX, rows: 0, readonly: false }, v.errors))
                    (input(&Input { name: "summary", label: "Summary", value: &f.summary, hint: Some("One or two sentences: the first lines of the page, and the text of its share card."), max: SUMMARY_MAX, rows: 2, readonly: false }, v.errors))
                    (input(&Input { name: "body", label: "Text (the petition, or the letter)", value: &f.body, hint: Some("Markdown: a blank line between paragraphs, **bold**, *italic*, [a link](https://example.org), # a heading, - a list. HTML is shown as text."), max: BODY_MAX, rows: 12, readonly: false }, v.errors))
                    (input(&Input { name: "recipients", label: "Recipients (open letters)", value: &f.recipients, hint: Some("One per line: Name; Title; Organisation, or Name; Title; Organisation; email to email them the letter. Addresses are never shown in public."), max: 20_000, rows: 4, readonly: false }, v.errors))
                }
                @for l in LOCALES.into_iter().filter(|l| *l != own) {
                    @let tag = l.tag();
                    @let (t, s, b) = f.translations.get(&l).cloned().unwrap_or_default();
                    fieldset {
                        legend { "The words in " (language_name(l)) " (optional)" }
                        p.hint { "Visitors who read " (language_name(l)) " see these; left empty, they see the text above. A translation needs all three." }
                        (input(&Input { name: &format!("title_{tag}"), label: "Title", value: &t, hint: None, max: TITLE_MAX, rows: 0, readonly: false }, v.errors))
                        (input(&Input { name: &format!("summary_{tag}"), label: "Summary", value: &s, hint: None, max: SUMMARY_MAX, rows: 2, readonly: false }, v.errors))
                        (input(&Input { name: &format!("body_{tag}"), label: "Text", value: &b, hint: None, max: BODY_MAX, rows: 8, readonly: false }, v.errors))
                    }
                }
                fieldset {
                    legend { "What the signing form asks" }
                    p.hint { "Name and email are always asked. Ask only what the campaign needs: every field costs signatures." }
                    @for field in Field::ALL {
                        @let name = format!("ask_{}", field.name());
                        div.field.has-error[v.errors.contains_key(&name)] {
                            label for={ "f-" (name) } { (field_label(field)) }
                            @let (shown, invalid, described) = select_error(&name, v.errors.get(&name).map(String::as_str));
                            (shown)
                            select id={ "f-" (name) } name=(name) aria-invalid=[invalid] aria-describedby=[described] {
                                @for a in Ask::ALL {
                                    option value=(a.name()) selected[a.name() == ask(field)] {
                                        (match a { Ask::No => "Not asked", Ask::Optional => "Optional", Ask::Required => "Required" })
                                    }
                                }
                            }
                        }
                    }
                    div.check {
                        input #f-require_confirmation type="checkbox" name="require_confirmation" value="1" checked[f.require_confirmation] aria-describedby="h-require_confirmation";
                        label for="f-require_confirmation" { "Signers confirm their email address" }
                    }
                    p.hint #h-require_confirmation {
                        "A signature counts once its signer opens the link we email them and presses its button (one reminder after a day; links work for 7 days). Turning this off later leaves waiting signatures waiting."
                    }
                    @if let Some(provider) = v.captcha {
                        div.check {
                            input #f-captcha type="checkbox" name="captcha" value="1" checked[f.captcha] aria-describedby="h-captcha";
                            label for="f-captcha" { "A human check on the form (" (provider) ")" }
                        }
                        p.hint #h-captcha {
                            "For a campaign under attack by scripts. The check runs the provider's script in the signer's browser, so the provider sees their address: keep it off otherwise. A signature without a passed check (no JavaScript, say) is held until its signer confirms by email."
                        }
                    } @else if f.captcha {
                        input type="hidden" name="captcha" value="1";
                    }
                }
                @if draft {
                    button type="submit" name="publish" value="1" { "Save and publish" }
                    button.secondary type="submit" { "Save as draft" }
                } @else {
                    button type="submit" { "Save" }
                }
            }
            @if let Some(e) = &v.existing {
                (status_section(v.chrome.csrf, e))
                (landing_section(e))
                (offline_section(v, e))
            }
        },
    )
}

fn status_section(csrf: &str, e: &Existing<'_>) -> Markup {
    html! {
        @match e.status {
            "open" => {
                h2 { "Close it" }
                p { "A closed campaign keeps its page and count; nobody can sign." }
                form method="post" action={ "/admin/campaigns/" (e.id) "/status" } {
                    (csrf_field(csrf))
                    input type="hidden" name="to" value="closed";
                    button.secondary type="submit" { "Close the campaign" }
                }
            }
            "closed" => {
                h2 { "Reopen it" }
                form method="post" action={ "/admin/campaigns/" (e.id) "/status" } {
                    (csrf_field(csrf))
                    input type="hidden" name="to" value="open";
                    button.secondary type="submit" { "Reopen for signatures" }
                }
            }
            _ => {}
        }
    }
}

fn landing_section(e: &Existing<'_>) -> Markup {
    html! {
        h2 #landing { "Landing pages" }
        p { "Each ad can have its own page (/a/…): a headline, an image and copy in its language, with this campaign's form. Posters get short codes on a landing page." }
        @if !e.landings.is_empty() {
            div.scroll tabindex="0" role="region" aria-label="Landing pages" { table {
                thead { tr { th scope="col" { "Address" } th scope="col" { "Headline" } th scope="col" { "Status" } } }
                tbody {
                    @for l in e.landings {
                        tr { td { a href={ "/admin/landing/" (l.id) } { "/a/" (l.slug) } } td { (l.headline) } td { (l.status) } }
                    }
                }
            } }
        }
        p { a.button.secondary href={ "/admin/campaigns/" (e.id) "/landing/new" } { "New landing page" } }
    }
}

fn offline_section(v: &EditorView<'_>, e: &Existing<'_>) -> Markup {
    let (count, note) = v.offline_form;
    let err_id = v.offline_error.map(|_| "e-offline_count");
    html! {
        h2 #offline { "Paper and offline signatures" }
        p { "Sign-up sheets with names are best entered signer by signer: " a href={ "/admin/campaigns/" (e.id) "/paper" } { "enter paper signatures" } ". They are checked against online signers, can be delivered by name, and count like the rest." }
        p { "Where only a number is known (a count from an event, say), add it here with a note saying where it came from; to correct a mistake, enter a negative batch." }
        p { "Offline so far: " strong { (e.offline) } "." }
        form.edit method="post" action={ "/admin/campaigns/" (e.id) "/offline" } novalidate {
            (csrf_field(v.chrome.csrf))
            div.field.has-error[v.offline_error.is_some()] {
                label for="f-offline_count" { "Signatures in this batch" }
                @if let Some(e) = v.offline_error { p.error id="e-offline_count" { span.visually-hidden { "Error: " } (e) } }
                input #f-offline_count type="text" inputmode="numeric" name="count" value=(count) maxlength="9"
                    aria-invalid=[v.offline_error.map(|_| "true")] aria-describedby=[err_id];
            }
            div.field {
                label for="f-offline_note" { "Note" }
                input #f-offline_note type="text" name="note" value=(note) maxlength="500";
            }
            button.secondary type="submit" { "Add to the count" }
        }
        @if !e.batches.is_empty() {
            div.scroll tabindex="0" role="region" aria-label="Offline batches" { table {
                thead { tr { th scope="col" { "When (UTC)" } th scope="col" { "Signatures" } th scope="col" { "Note" } th scope="col" { "Entered by" } } }
                tbody {
                    @for b in e.batches { tr { td { (b.at) } td { (b.count) } td { (b.note) } td { (b.actor) } } }
                }
            } }
        }
    }
}
