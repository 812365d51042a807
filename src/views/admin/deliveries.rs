//! A campaign's deliveries (staff): each one's cut-off, count and digest with its public record,
//! and the form that makes one.

use entity::delivery;
use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field, title_or_untitled};
use crate::domain::delivery::{Column, timestamp};

/// The form as typed.
#[derive(Clone, Debug, Default)]
pub struct DeliveryForm {
    pub cutoff: String,
    pub columns: Vec<Column>,
    /// The recipients chosen (places in the campaign's list).
    pub recipients: Vec<usize>,
}

pub struct DeliveriesView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    /// Drafts cannot be delivered.
    pub opened: bool,
    pub deliveries: &'a [delivery::Model],
    /// The campaign's recipients: name, title and organisation.
    pub recipients: Vec<String>,
    /// Organizers and admins make deliveries.
    pub organizer: bool,
    pub form: DeliveryForm,
    pub error: Option<String>,
}

fn column_label(c: Column) -> &'static str {
    match c {
        Column::Name => "Names (only of signers who agreed to be named)",
        Column::JobTitle => "Job titles (of named signers)",
        Column::Worksite => "Worksites (of named signers; the breakdown counts everyone's)",
        Column::Comment => "Comments (of named signers)",
    }
}

pub fn deliveries_page(v: &DeliveriesView<'_>) -> Markup {
    let title = format!("Deliveries: {}", title_or_untitled(v.title));
    admin_page(
        &title,
        &v.chrome,
        html! {
            h1 { (title) }
            p { a href={ "/admin/campaigns/" (v.id) "/dashboard" } { "Dashboard" } }
            p { "A delivery freezes the count as of a cut-off: the signatures validated and signed by then, the breakdown by region, worksite and day, and the signer list with its SHA-256. Its public record shows them all, and anyone holding the list can check it against the record." }
            @if v.deliveries.is_empty() {
                p { "No deliveries yet." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="Deliveries" { table {
                    thead { tr {
                        th scope="col" { "Cut-off (UTC)" } th scope="col" { "Signatures" } th scope="col" { "Named" }
                        th scope="col" { "SHA-256" } th scope="col" { "Made" } th scope="col" { "Record" }
                    } }
                    tbody {
                        @for d in v.deliveries {
                            tr {
                                td { (timestamp(d.cutoff)) }
                                td { (d.signers + d.offline) @if d.offline > 0 { " (" (d.offline) " offline)" } }
                                td { (d.named) }
                                td { code { (d.digest.get(..12).unwrap_or_default()) "…" } }
                                td { (d.created_at.format("%Y-%m-%d %H:%M")) " by " (d.created_by) }
                                td {
                                    a href={ "/d/" (d.public_id) } { "Public record" } " · "
                                    a href={ "/d/" (d.public_id) "/signers.csv" } { "Signer list" }
                                }
                            }
                        }
                    }
                } }
            }
            @if v.organizer {
                h2 { "Make a delivery" }
                @if !v.opened {
                    p { "A draft cannot be delivered: publish it first." }
                } @else {
                    form.edit method="post" action={ "/admin/campaigns/" (v.id) "/deliveries" } novalidate {
                        (csrf_field(v.chrome.csrf))
                        div.field.has-error[v.error.is_some()] {
                            label for="f-cutoff" { "Cut-off, in UTC (empty: now)" }
                            p.hint id="h-cutoff" { "Like 2026-11-27 17:00. Signatures made after it are left out." }
                            @if let Some(e) = &v.error { p.error id="e-cutoff" { span.visually-hidden { "Error: " } (e) } }
                            input #f-cutoff type="text" name="cutoff" value=(v.form.cutoff) autocomplete="off"
                                aria-invalid=[v.error.as_ref().map(|_| "true")]
                                aria-describedby={ "h-cutoff" @if v.error.is_some() { " e-cutoff" } };
                        }
                        @if !v.recipients.is_empty() {
                            fieldset.field {
                                legend { "Delivered to" }
                                @for (i, r) in v.recipients.iter().enumerate() {
                                    div.check {
                                        input id={ "f-r" (i) } type="checkbox" name={ "r" (i) } value="1" checked[v.form.recipients.contains(&i)];
                                        label for={ "f-r" (i) } { (r) }
                                    }
                                }
                            }
                        }
                        fieldset.field {
                            legend { "The signer list includes" }
                            @for c in Column::ALL {
                                div.check {
                                    input id={ "f-" (c.key()) } type="checkbox" name=(c.key()) value="1" checked[v.form.columns.contains(&c)];
                                    label for={ "f-" (c.key()) } { (column_label(c)) }
                                }
                            }
                        }
                        button type="submit" { "Make the delivery" }
                    }
                }
            }
        },
    )
}
