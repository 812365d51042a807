//! A campaign's signatures for organizers: search, status filter, invalidating one or a set
//! chosen by criteria (after a preview of what matches), and restoring.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field, signatures, title_or_untitled};

/// A signature as listed.
pub struct SignatureRow {
    pub id: i64,
    pub signed_at: String,
    pub name: String,
    pub email: String,
    pub status: &'static str,
    /// Source, landing page or campaign, whichever it has.
    pub came_from: String,
    /// The keyed hash of its network (empty for signatures from before it was kept).
    pub network: String,
}

/// An invalidation as listed.
pub struct ActionRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub criteria: String,
    pub reason: String,
    pub changed: i64,
    /// Who restored it and when, if anyone did.
    pub restored: Option<String>,
}

/// The criteria of an invalidation as typed.
#[derive(Clone, Debug, Default)]
pub struct CriteriaForm {
    pub from: String,
    pub to: String,
    pub source: String,
    pub landing: String,
    pub utm_campaign: String,
    pub domain: String,
    pub network: String,
}

impl CriteriaForm {
    fn pairs(&self) -> [(&'static str, &str); 7] {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("source", &self.source),
            ("landing", &self.landing),
            ("utm_campaign", &self.utm_campaign),
            ("domain", &self.domain),
            ("network", &self.network),
        ]
    }
}

/// `/admin/campaigns/{id}/signatures`.
pub struct ListView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    pub rows: &'a [SignatureRow],
    pub actions: &'a [ActionRow],
    /// The search and filter as typed.
    pub q: &'a str,
    pub status: &'a str,
    pub page: u64,
    pub more: bool,
}

const STATUSES: [&str; 5] = ["validated", "pending", "held", "fraudulent", "invalidated"];

fn criteria_fields(c: &CriteriaForm) -> Markup {
    html! {
        div.field { label for="f-from" { "Signed from (YYYY-MM-DD, UTC)" } input #f-from type="date" name="from" value=(c.from); }
        div.field { label for="f-to" { "Signed up to (YYYY-MM-DD, included)" } input #f-to type="date" name="to" value=(c.to); }
        div.field { label for="f-source" { "Source" } input #f-source type="text" name="source" value=(c.source) maxlength="200"; }
        div.field { label for="f-landing" { "Landing page" } input #f-landing type="text" name="landing" value=(c.landing) maxlength="200"; }
        div.field { label for="f-utm_campaign" { "utm_campaign" } input #f-utm_campaign type="text" name="utm_campaign" value=(c.utm_campaign) maxlength="200"; }
        div.field { label for="f-domain" { "Email domain (after the @)" } input #f-domain type="text" name="domain" value=(c.domain) maxlength="200"; }
        div.field { label for="f-network" { "Network (its hash, from the list)" } input #f-network type="text" name="network" value=(c.network) maxlength="16"; }
    }
}

pub fn list_page(v: &ListView<'_>) -> Markup {
    let base = format!("/admin/campaigns/{}/signatures", v.id);
    let with_page = |page: u64| {
        if v.status.is_empty() {
            format!("{base}?page={page}")
        } else {
            format!("{base}?status={}&page={page}", v.status)
        }
    };
    // A search is posted, so that names and emails stay out of addresses (and history, and
    // logs); so are its pages.
    let page_link = |page: u64, rel: &'static str, text: &'static str| {
        html! {
            @if v.q.is_empty() {
                a href=(with_page(page)) rel=(rel) { (text) } " "
            } @else {
                form.inline method="post" action=(base) {
                    (csrf_field(v.chrome.csrf))
                    input type="hidden" name="q" value=(v.q);
                    input type="hidden" name="status" value=(v.status);
                    input type="hidden" name="page" value=(page);
                    button.secondary.small type="submit" { (text) }
                }
            }
        }
    };
    let title = format!("Signatures: {}", title_or_untitled(v.title));
    admin_page(
        &title,
        &v.chrome,
        html! {
            h1 { (title) }
            p { a href={ "/admin/campaigns/" (v.id) } { "Back to the campaign" } }
            form.filters method="post" action=(base) {
                (csrf_field(v.chrome.csrf))
                div.field {
                    label for="f-q" { "Search by email or name" }
                    input #f-q type="search" name="q" value=(v.q) maxlength="200";
                }
                div.field {
                    label for="f-status" { "Status" }
                    select #f-status name="status" {
                        option value="" selected[v.status.is_empty()] { "Any" }
                        @for s in STATUSES { option value=(s) selected[s == v.status] { (s) } }
                    }
                }
                button type="submit" { "Search" }
            }
            @if v.rows.is_empty() {
                p { "No signatures match." }
            } @else {
                p { "Page " (v.page) ", newest first." }
                div.scroll tabindex="0" role="region" aria-label="Signatures" { table {
                    thead { tr {
                        th scope="col" { "Signed (UTC)" } th scope="col" { "Name" } th scope="col" { "Email" }
                        th scope="col" { "Status" } th scope="col" { "Came from" } th scope="col" { "Network" }
                        th scope="col" { "Change" }
                    } }
                    tbody {
                        @for r in v.rows {
                            tr {
                                td { (r.signed_at) } td { (r.name) } td { (r.email) } td { (r.status) } td { (r.came_from) }
                                td {
                                    @if !r.network.is_empty() {
                                        a href={ (base) "/invalidate?network=" (r.network) } aria-label={ "Network " (r.network) ": every signature from it" } { code { (r.network) } }
                                    }
                                }
                                td {
                                    @if r.status == "held" {
                                        form method="post" action={ (base) "/" (r.id) "/release" } {
                                            (csrf_field(v.chrome.csrf))
                                            button.secondary.small type="submit" aria-label={ "Release: " (r.name) } { "Release" }
                                        }
                                    }
                                    @if r.status == "validated" || r.status == "pending" || r.status == "held" {
                                        form method="post" action={ (base) "/" (r.id) "/invalidate" } {
                                            (csrf_field(v.chrome.csrf))
                                            button.secondary.small type="submit" aria-label={ "Invalidate: " (r.name) } { "Invalidate" }
                                        }
                                    } @else if r.status == "invalidated" {
                                        form method="post" action={ (base) "/" (r.id) "/restore" } {
                                            (csrf_field(v.chrome.csrf))
                                            button.secondary.small type="submit" aria-label={ "Restore: " (r.name) } { "Restore" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            nav aria-label="Pages" {
                @if v.page > 1 { (page_link(v.page - 1, "prev", "Newer")) }
                @if v.more { (page_link(v.page + 1, "next", "Older")) }
            }
            h2 { "Held signatures" }
            p {
                "Signatures over a signing limit wait, held, until their signers confirm by email. "
                a href={ (base) "/release" } { "Review and release held signatures" }
            }
            h2 { "Invalidate a set of signatures" }
            p { "Choose them by what they have in common; you will see how many match, and some of them, before anything changes." }
            form.edit method="get" action={ (base) "/invalidate" } {
                (criteria_fields(&CriteriaForm::default()))
                button.secondary type="submit" { "Preview what matches" }
            }
            @if !v.actions.is_empty() {
                h2 { "Invalidations" }
                div.scroll tabindex="0" role="region" aria-label="Invalidations" { table {
                    thead { tr {
                        th scope="col" { "When (UTC)" } th scope="col" { "By" } th scope="col" { "Which" }
                        th scope="col" { "Reason" } th scope="col" { "Signatures" } th scope="col" { "Restore" }
                    } }
                    tbody {
                        @for a in v.actions {
                            tr {
                                td { (a.at) } td { (a.actor) } td { (a.criteria) } td { (a.reason) } td { (a.changed) }
                                td {
                                    @match &a.restored {
                                        Some(restored) => { (restored) }
                                        None => {
                                            form method="post" action={ "/admin/campaigns/" (v.id) "/invalidations/" (a.id) "/restore" } {
                                                (csrf_field(v.chrome.csrf))
                                                button.secondary.small type="submit" aria-label={ "Restore all: invalidation " (a.id) } { "Restore all" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        },
    )
}

/// What a preview leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Taking signatures out of the count (`…/signatures/invalidate`).
    Invalidate,
    /// Counting held signatures (`…/signatures/release`).
    Release,
}

/// `/admin/campaigns/{id}/signatures/invalidate` (or `…/release`): what the criteria match, and
/// the form that invalidates (or releases) them.
pub struct PreviewView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    pub criteria: &'a CriteriaForm,
    /// The criteria in words; empty when there are none.
    pub described: &'a str,
    /// What was wrong with the criteria or the confirmation.
    pub errors: &'a [String],
    /// Matches (counted now, pending), when the criteria are usable.
    pub matches: Option<(u64, u64)>,
    pub sample: &'a [SignatureRow],
    pub reason: &'a str,
    pub mode: Mode,
    /// The petition's shared sites (shown when releasing).
    pub sites: &'a [entity::shared_site::Model],
    /// The shared-site form as typed, with what is wrong with it.
    pub site: &'a SiteForm,
}

/// A shared site as typed (`POST /admin/campaigns/{id}/shared-sites`).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    pub network: String,
    #[serde(default)]
    pub label: String,
    /// What is wrong with the network.
    #[serde(skip)]
    pub network_error: Option<String>,
    /// What is wrong with the label.
    #[serde(skip)]
    pub label_error: Option<String>,
}

pub fn preview_page(v: &PreviewView<'_>) -> Markup {
    if v.mode == Mode::Release {
        return release_page(v);
    }
    let base = format!("/admin/campaigns/{}/signatures", v.id);
    admin_page(
        "Invalidate signatures",
        &v.chrome,
        html! {
            h1 { "Invalidate signatures" }
            p { "Campaign: " (title_or_untitled(v.title)) ". " a href=(base) { "Back to the signatures" } }
            @if !v.errors.is_empty() {
                div.alert role="alert" { @for e in v.errors { p { (e) } } }
            }
            @if let Some((counted, pending)) = v.matches {
                @let total = counted + pending;
                div.notice role="status" {
                    p { strong { (signatures(i64::try_from(total).unwrap_or(i64::MAX))) " match" } " (" (counted) " in the count now, " (pending)  " awaiting confirmation or held): " (v.described) "." }
                }
                @if !v.sample.is_empty() {
                    div.scroll tabindex="0" role="region" aria-label="Some of the signatures that match" { table {
                        caption { "The newest " (v.sample.len()) " of them" }
                        thead { tr { th scope="col" { "Signed (UTC)" } th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Came from" } } }
                        tbody { @for r in v.sample { tr { td { (r.signed_at) } td { (r.name) } td { (r.email) } td { (r.came_from) } } } }
                    } }
                }
                @if total > 0 {
                    form.edit method="post" action={ (base) "/invalidate" } novalidate {
                        (csrf_field(v.chrome.csrf))
                        @for (name, value) in v.criteria.pairs() { input type="hidden" name=(name) value=(value); }
                        input type="hidden" name="expected" value=(total);
                        div.field {
                            label for="f-reason" { "Reason (kept in the record and the audit log)" }
                            input #f-reason type="text" name="reason" value=(v.reason) maxlength="500" required;
                        }
                        button type="submit" { "Invalidate " (signatures(i64::try_from(total).unwrap_or(i64::MAX))) }
                        p.hint { "They stop counting at once. The invalidation can be restored whole, or one signature at a time." }
                    }
                }
            }
            h2 { "Change the criteria" }
            form.edit method="get" action={ (base) "/invalidate" } {
                (criteria_fields(v.criteria))
                button.secondary type="submit" { "Preview what matches" }
            }
        },
    )
}

/// Held signatures to count: how many match, some of them, and the button that counts them.
fn release_page(v: &PreviewView<'_>) -> Markup {
    let base = format!("/admin/campaigns/{}/signatures", v.id);
    admin_page(
        "Release held signatures",
        &v.chrome,
        html! {
            h1 { "Release held signatures" }
            p { "Campaign: " (title_or_untitled(v.title)) ". " a href=(base) { "Back to the signatures" } }
            p {
                "A signature is held when it goes over a signing limit (many from one network, one email domain or one address). "
                "It counts as soon as its signer confirms their email address; releasing it counts it now, for signers you know are real "
                "(a sign-up table in a break room, a staff meeting)."
            }
            @if !v.errors.is_empty() {
                div.alert role="alert" { @for e in v.errors { p { (e) } } }
            }
            @if let Some((_, held)) = v.matches {
                div.notice role="status" {
                    p {
                        strong { (signatures(i64::try_from(held).unwrap_or(i64::MAX))) " held" }
                        @if v.described.is_empty() { " in all." } @else { " match: " (v.described) "." }
                    }
                }
                @if !v.sample.is_empty() {
                    div.scroll tabindex="0" role="region" aria-label="Some of the held signatures" { table {
                        caption { "The newest " (v.sample.len()) " of them" }
                        thead { tr { th scope="col" { "Signed (UTC)" } th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Came from" } th scope="col" { "Network" } } }
                        tbody { @for r in v.sample { tr { td { (r.signed_at) } td { (r.name) } td { (r.email) } td { (r.came_from) } td { code { (r.network) } } } } }
                    } }
                }
                @if held > 0 {
                    form.edit method="post" action={ (base) "/release" } {
                        (csrf_field(v.chrome.csrf))
                        @for (name, value) in v.criteria.pairs() { input type="hidden" name=(name) value=(value); }
                        input type="hidden" name="expected" value=(held);
                        button type="submit" { "Count these " (signatures(i64::try_from(held).unwrap_or(i64::MAX))) }
                        p.hint { "They count at once, on every page and in every download; the audit log records who released them." }
                    }
                }
            }
            h2 { "Choose which" }
            form.edit method="get" action={ (base) "/release" } {
                (criteria_fields(v.criteria))
                button.secondary type="submit" { "Preview what matches" }
            }
            (sites_section(v))
        },
    )
}

/// A petition's shared sites, and the form that adds one.
fn sites_section(v: &PreviewView<'_>) -> Markup {
    let action = format!("/admin/campaigns/{}/shared-sites", v.id);
    let (net_err, label_err) = (v.site.network_error.as_deref(), v.site.label_error.as_deref());
    html! {
        section #sites aria-labelledby="sites-h" {
            h2 #sites-h { "Shared sites" }
            p {
                "Many people sign from one network at a hospital, a union hall or a campus. Mark such a network here and "
                "signatures from it are no longer held for sharing it (the other limits still hold)."
            }
            @if v.sites.is_empty() {
                p { "No shared site yet." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="The shared sites, as a table" { table {
                    thead { tr { th scope="col" { "Network" } th scope="col" { "What it is" } th scope="col" { "Added by" } th scope="col" { "Remove" } } }
                    tbody {
                        @for s in v.sites {
                            tr {
                                td { code { (s.network) } } td { (s.label) } td { (s.added_by) }
                                td {
                                    form method="post" action={ (action) "/" (s.id) "/remove" } {
                                        (csrf_field(v.chrome.csrf))
                                        button.secondary.small type="submit" aria-label={ "Remove shared site " (s.network) } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            form.edit method="post" action=(action) novalidate {
                (csrf_field(v.chrome.csrf))
                div.field.has-error[net_err.is_some()] {
                    label for="f-site_network" { "Network: an address or a range" }
                    p.hint #h-site_network { "As the site's IT staff give it, such as 203.0.113.7 or 203.0.113.0/24 (at most a /16; IPv6 at most a /48)." }
                    @if let Some(e) = net_err {
                        p.error #e-site_network { span.visually-hidden { "Error: " } (e) }
                    }
                    input #f-site_network type="text" name="network" value=(v.site.network) maxlength="50" required
                        aria-describedby={ "h-site_network" @if net_err.is_some() { " e-site_network" } } aria-invalid=[net_err.map(|_| "true")];
                }
                div.field.has-error[label_err.is_some()] {
                    label for="f-site_label" { "What it is" }
                    @if let Some(e) = label_err {
                        p.error #e-site_label { span.visually-hidden { "Error: " } (e) }
                    }
                    input #f-site_label type="text" name="label" value=(v.site.label) maxlength="200" required
                        aria-describedby=[label_err.map(|_| "e-site_label")] aria-invalid=[label_err.map(|_| "true")];
                }
                button type="submit" { "Add the shared site" }
            }
        }
    }
}
