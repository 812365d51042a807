//! Paper signatures (staff): the batches entered, and the form that enters one, a row per
//! signer or pasted from a spreadsheet.

use chrono::NaiveDate;
use entity::paper_batch;
use maud::{Markup, html};

use super::{
    Chrome, admin_page,
    campaigns::{Input, input},
    csrf_field, title_or_untitled,
};
use crate::domain::paper::{COLUMNS, PASTED_MAX, PaperForm, Problems, ROWS_MAX, ROWS_STEP};

pub struct PaperView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    pub batches: &'a [paper_batch::Model],
    pub form: &'a PaperForm,
    pub problems: &'a Problems,
    pub today: NaiveDate,
}

/// A column's heading, and whether it is a box to tick.
fn heading(column: &str) -> (&'static str, bool) {
    match column {
        "given_name" => ("Given name", false),
        "family_name" => ("Family name", false),
        "email" => ("Email", false),
        "postal_code" => ("Postal code", false),
        "job_title" => ("Job title or role", false),
        "worksite" => ("Worksite", false),
        "comment" => ("Comment", false),
        "public_name" => ("Name on the letter", true),
        _ => ("Email updates", true),
    }
}

pub fn paper_page(v: &PaperView<'_>) -> Markup {
    let title = format!("Paper signatures: {}", title_or_untitled(v.title));
    let f = v.form;
    let problems = v.problems;
    let wrong_rows = problems.keys().filter(|k| k.starts_with('r')).count();
    admin_page(
        &title,
        &v.chrome,
        html! {
            h1 { (title) }
            p { a href={ "/admin/campaigns/" (v.id) "/dashboard" } { "Dashboard" } " · " a href={ "/admin/campaigns/" (v.id) "/deliveries" } { "Deliveries" } }
            p { "Type in sign-up sheets from a table or an event, one signer per row. Each counts like a signature made online, with source “paper”, from the moment it is entered. A signer who already signed (the same email address, or the same name and postal code) is not counted twice. Tick “Name on the letter” only where the signer ticked it on the sheet." }
            h2 #batches { "Batches entered" }
            @if v.batches.is_empty() {
                p { "None yet." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="Batches entered" { table {
                    thead { tr {
                        th scope="col" { "Collected" } th scope="col" { "Source" } th scope="col" { "Entries" }
                        th scope="col" { "Counted" } th scope="col" { "Already signers" } th scope="col" { "Entered" }
                    } }
                    tbody {
                        @for b in v.batches {
                            tr {
                                td { (b.collected_on) } td { (b.source) } td { (b.entries) }
                                td { (b.added) } td { (b.duplicates) }
                                td { (b.entered_at.format("%Y-%m-%d %H:%M")) " UTC by " (b.actor) }
                            }
                        }
                    }
                } }
            }
            h2 #enter { "Enter a batch" }
            @if !problems.is_empty() {
                div.summary role="alert" {
                    p { "Nothing was entered. " @if wrong_rows > 0 { (wrong_rows) " cells need a look; they are marked below. " } "Fix what is marked and enter the batch again." }
                }
            }
            form.edit method="post" action={ "/admin/campaigns/" (v.id) "/paper" } novalidate {
                (csrf_field(v.chrome.csrf))
                input type="hidden" name="rows" value=(f.rows.len());
                (input(&Input { name: "source", label: "Where the sheets come from", value: &f.source, hint: Some("Like “Cafeteria table, St Mary’s” or “Rally, 12 November”."), max: 200, rows: 0, readonly: false }, problems))
                div.field.has-error[problems.contains_key("collected_on")] {
                    label for="f-collected_on" { "Day collected" }
                    @if let Some(e) = problems.get("collected_on") { p.error id="e-collected_on" { span.visually-hidden { "Error: " } (e) } }
                    input #f-collected_on type="date" name="collected_on" value=(f.collected_on) max=(v.today.format("%Y-%m-%d"))
                        aria-invalid=[problems.get("collected_on").map(|_| "true")]
                        aria-describedby=[problems.get("collected_on").map(|_| "e-collected_on")];
                }
                @if let Some(e) = problems.get("entries") { p.error #e-entries { span.visually-hidden { "Error: " } (e) } }
                div.scroll tabindex="0" role="region" aria-label="Signers, one per row" { table.grid {
                    caption { "Signers, one per row (empty rows are skipped). An email address or a postal code is needed for each." }
                    thead { tr {
                        th scope="col" { "Row" }
                        @for c in COLUMNS { th scope="col" { (heading(c).0) } }
                    } }
                    tbody {
                        @for (i, row) in f.rows.iter().enumerate() {
                            tr {
                                th scope="row" { (i + 1) }
                                @for c in COLUMNS {
                                    @let (label, tick) = heading(c);
                                    @let name = format!("r{i}_{c}");
                                    @let error = problems.get(&name);
                                    td.has-error[error.is_some()] {
                                        @if tick {
                                            input id={ "f-" (name) } type="checkbox" name=(name) value="1" checked[!row.get(c).is_empty()]
                                                aria-label={ (label) ", row " (i + 1) };
                                        } @else {
                                            input id={ "f-" (name) } type="text" name=(name) value=(row.get(c)) maxlength="2000"
                                                aria-label={ (label) ", row " (i + 1) }
                                                autocomplete="off"
                                                aria-invalid=[error.map(|_| "true")]
                                                aria-describedby=[error.map(|_| format!("e-{name}"))];
                                        }
                                        @if let Some(e) = error { p.error id={ "e-" (name) } { span.visually-hidden { "Error: " } (e) } }
                                    }
                                }
                            }
                        }
                    }
                } }
                @if f.rows.len() < ROWS_MAX {
                    p { button.secondary type="submit" name="more" value="1" formnovalidate { "Show " (ROWS_STEP) " more rows" } }
                }
                (input(&Input { name: "pasted", label: "Or paste from a spreadsheet", value: &f.pasted, hint: Some("Copied cells or CSV, with a first line naming the columns from: given_name, family_name, email, postal_code, job_title, worksite, comment, public_name, email_opt_in (a ticked box: 1, x or yes)."), max: PASTED_MAX, rows: 6, readonly: false }, problems))
                button type="submit" { "Enter these signatures" }
            }
        },
    )
}
