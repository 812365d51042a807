//! A campaign's downloads: its signatures (filtered, as CSV, Excel or JSON Lines, or the Action
//! Network column set) and its counts per day and source.

use maud::{Markup, html};

use super::{
    Chrome, admin_page,
    campaigns::{Input, input},
    error_summary, select_error, title_or_untitled,
};
use crate::domain::campaign::CampaignErrors;

/// The download form as typed.
#[derive(Clone, Debug, Default)]
pub struct ExportForm {
    pub format: String,
    pub columns: String,
    pub status: String,
    pub from: String,
    pub to: String,
    pub source: String,
    pub landing: String,
}

/// A spreadsheet link as listed.
pub struct LinkRow {
    pub id: i64,
    pub name: String,
    pub made: String,
    pub last_used: Option<String>,
    pub revoked: bool,
}

pub struct ExportView<'a> {
    /// The campaign's spreadsheet links (organizers and admins only).
    pub links: &'a [LinkRow],
    /// A link just made: its name and address, shown this once.
    pub made_link: Option<(String, String)>,
    pub link_error: Option<&'static str>,
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    pub form: &'a ExportForm,
    pub errors: &'a CampaignErrors,
    /// The campaign's landing pages' addresses.
    pub landing_pages: &'a [String],
    /// Organizers and admins download names and emails; viewers get the rest.
    pub personal: bool,
}

const FORMATS: [(&str, &str); 3] = [
    ("csv", "CSV (opens in Excel, LibreOffice, Google Sheets)"),
    ("xlsx", "Excel workbook (.xlsx)"),
    ("jsonl", "JSON Lines (one signature per line, for programs)"),
];
const STATUSES: [(&str, &str); 6] = [
    ("validated", "Counted (validated)"),
    ("all", "Every status"),
    ("pending", "Awaiting email confirmation"),
    ("held", "Held over a per-address limit"),
    ("invalidated", "Invalidated by staff"),
    ("fraudulent", "Flagged by abuse controls"),
];

/// `/admin/campaigns/{id}/export`.
pub fn export_page(v: &ExportView<'_>) -> Markup {
    let f = v.form;
    let title = format!("Download: {}", title_or_untitled(v.title));
    let action = format!("/admin/campaigns/{}/export/signatures", v.id);
    let chosen = |value: &str, typed: &str, default: &str| {
        if typed.is_empty() { value == default } else { value == typed }
    };
    html! {
        (admin_page(&title, &v.chrome, html! {
            h1 { (title) }
            p { a href={ "/admin/campaigns/" (v.id) "/dashboard" } { "Back to the dashboard" } }
            @if !v.personal {
                p.alert { "As a viewer you download everything but the signers' names, contact details and what they wrote: ask an organizer for those." }
            }
            (error_summary(v.errors.iter().map(|(name, e)| (name.as_str(), e.as_str()))))
            form.edit method="get" action=(action) novalidate {
                fieldset.field.has-error[v.errors.contains_key("format")] {
                    legend { "Format" }
                    (select_error("format", v.errors.get("format").map(String::as_str)).0)
                    @for (i, (value, label)) in FORMATS.iter().enumerate() {
                        @let id = if i == 0 { "f-format".to_owned() } else { format!("f-format-{value}") };
                        div.check {
                            input id=(id) type="radio" name="format" value=(value) checked[chosen(value, &f.format, "csv")];
                            label for=(id) { (label) }
                        }
                    }
                }
                @if v.personal {
                    fieldset.field.has-error[v.errors.contains_key("columns")] {
                        legend { "Columns" }
                        (select_error("columns", v.errors.get("columns").map(String::as_str)).0)
                        div.check {
                            input #f-columns type="radio" name="columns" value="standard" checked[chosen("standard", &f.columns, "standard")];
                            label for="f-columns" { "Every column this campaign collects" }
                        }
                        div.check {
                            input #f-columns-an type="radio" name="columns" value="action_network" checked[f.columns == "action_network"];
                            label for="f-columns-an" { "Action Network upload: first_name, last_name, email, zip_code … (only signers who agreed to receive updates)" }
                        }
                    }
                }
                fieldset {
                    legend { "Which signatures" }
                    div.field.has-error[v.errors.contains_key("status")] {
                        label for="f-status" { "Status" }
                        @let (shown, invalid, described) = select_error("status", v.errors.get("status").map(String::as_str));
                        (shown)
                        select #f-status name="status" aria-invalid=[invalid] aria-describedby=[described] {
                            @for (value, label) in STATUSES { option value=(value) selected[chosen(value, &f.status, "validated")] { (label) } }
                        }
                    }
                    (input(&Input { name: "from", label: "Signed from (YYYY-MM-DD, UTC)", value: &f.from, hint: None, max: 10, rows: 0, readonly: false }, v.errors))
                    (input(&Input { name: "to", label: "Signed until, that day included (YYYY-MM-DD, UTC)", value: &f.to, hint: None, max: 10, rows: 0, readonly: false }, v.errors))
                    (input(&Input { name: "source", label: "Source", value: &f.source, hint: Some("As links carry it, like meta or qr-station; empty for every source."), max: 255, rows: 0, readonly: false }, v.errors))
                    div.field.has-error[v.errors.contains_key("landing")] {
                        label for="f-landing" { "Landing page" }
                        @let (shown, invalid, described) = select_error("landing", v.errors.get("landing").map(String::as_str));
                        (shown)
                        select #f-landing name="landing" aria-invalid=[invalid] aria-describedby=[described] {
                            option value="" selected[f.landing.is_empty()] { "Any, or none" }
                            @for slug in v.landing_pages { option value=(slug) selected[f.landing == *slug] { "/a/" (slug) } }
                        }
                    }
                }
                button type="submit" { "Download signatures" }
            }
            @if v.personal {
                h2 { "A link for a spreadsheet" }
                p { "A spreadsheet can fetch this campaign's counted signatures itself, as CSV, from a link: in Google Sheets " code { "=IMPORTDATA(\"link\")" } ", in Excel " em { "Data, From Web" } ". The link holds a key, so treat it like a password: anyone with it reads names and emails. Revoke it here when it is no longer needed; every use is in the audit log." }
                @if let Some((name, url)) = &v.made_link {
                    div.notice role="status" {
                        p { "The link " strong { (name) } " is made. Copy it now: it is shown only this once." }
                        label for="new-link" { "Link" }
                        input.link #new-link type="text" readonly value=(url);
                    }
                }
                @if !v.links.is_empty() {
                    div.scroll tabindex="0" role="region" aria-label="Spreadsheet links" { table {
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Made" } th scope="col" { "Last used" } th scope="col" { "State" } } }
                        tbody {
                            @for l in v.links {
                                tr {
                                    td { (l.name) }
                                    td { (l.made) }
                                    td { (l.last_used.as_deref().unwrap_or("never")) }
                                    td {
                                        @if l.revoked { "revoked" } @else {
                                            form.inline method="post" action={ "/admin/campaigns/" (v.id) "/export/links/" (l.id) "/revoke" } {
                                                (super::csrf_field(v.chrome.csrf))
                                                button.secondary.small type="submit" aria-label={ "Revoke: " (l.name) } { "Revoke" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    } }
                }
                form.edit method="post" action={ "/admin/campaigns/" (v.id) "/export/links" } novalidate {
                    (super::csrf_field(v.chrome.csrf))
                    div.field.has-error[v.link_error.is_some()] {
                        label for="f-link-name" { "Where the link goes" }
                        @if let Some(e) = v.link_error { p.error id="e-link-name" { span.visually-hidden { "Error: " } (e) } }
                        input #f-link-name type="text" name="name" maxlength="100" autocomplete="off"
                            aria-invalid=[v.link_error.map(|_| "true")] aria-describedby=[v.link_error.map(|_| "e-link-name")];
                    }
                    button.secondary type="submit" { "Make a link" }
                }
            }
            h2 { "Counts" }
            p {
                a href={ "/admin/campaigns/" (v.id) "/export/counts.csv" } { "Counts per day and source (CSV)" }
                ": counted signatures and new supporters, per day (UTC) and source. No personal data."
            }
        }))
    }
}
