//! A campaign's deliveries (staff): each one's cut-off, count and digest with its public record
//! and what became of its emails; the form that makes one; schedules; the daily update.

use std::collections::HashMap;

use entity::{delivery, delivery_schedule, email};
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
    /// Email it to them.
    pub send: bool,
}

/// The schedule form as typed.
#[derive(Clone, Debug, Default)]
pub struct ScheduleForm {
    /// `threshold` or `weekly`.
    pub kind: String,
    pub every: String,
    /// ISO weekday, `1` (Monday) to `7`.
    pub weekday: String,
    pub hour: String,
    pub columns: Vec<Column>,
    pub send: bool,
}

impl ScheduleForm {
    pub fn fresh() -> Self {
        Self {
            kind: "threshold".into(),
            every: "1000".into(),
            weekday: "1".into(),
            hour: "9".into(),
            columns: vec![Column::Name],
            send: false,
        }
    }
}

pub struct DeliveriesView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    /// Drafts cannot be delivered.
    pub opened: bool,
    pub deliveries: &'a [delivery::Model],
    /// The campaign's recipients (name, title and organisation), and whether each has an
    /// email address.
    pub recipients: Vec<(String, bool)>,
    /// Organizers and admins make deliveries.
    pub organizer: bool,
    /// The letters emailed, by delivery id.
    pub letters: HashMap<i64, Vec<email::Model>>,
    /// The campaign's schedules, each with how many deliveries it made.
    pub schedules: Vec<(delivery_schedule::Model, usize)>,
    /// Recipients get a daily update, at this hour (UTC).
    pub digest: bool,
    pub digest_hour: u32,
    pub form: DeliveryForm,
    pub error: Option<String>,
    pub schedule: ScheduleForm,
    pub schedule_error: Option<String>,
}

/// What became of a letter emailed.
fn fate(e: &email::Model) -> Markup {
    html! {
        @match e.status.as_str() {
            "sent" => { "sent" @if let Some(at) = e.sent_at { " " (at.format("%Y-%m-%d %H:%M")) " UTC" } }
            "failed" => { strong { "failed" } @if let Some(why) = &e.last_error { ": " (why) } }
            _ => {
                "waiting to be sent"
                @if e.attempts > 0 { " (tried " (e.attempts) " times" @if let Some(why) = &e.last_error { ": " (why) } ")" }
            }
        }
    }
}

const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

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
                        th scope="col" { "Emailed" }
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
                                td {
                                    @match v.letters.get(&d.id) {
                                        Some(sent) => {
                                            ul.plain { @for e in sent { li { (e.to_address) ": " (fate(e)) } } }
                                        }
                                        None => { "no" }
                                    }
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
                                @for (i, (r, address)) in v.recipients.iter().enumerate() {
                                    div.check {
                                        input id={ "f-r" (i) } type="checkbox" name={ "r" (i) } value="1" checked[v.form.recipients.contains(&i)];
                                        label for={ "f-r" (i) } { (r) @if !address { " (no email address)" } }
                                    }
                                }
                            }
                            div.check {
                                input #f-send type="checkbox" name="send" value="1" checked[v.form.send];
                                label for="f-send" { "Email the letter to the chosen recipients who have an address, with the packet (PDF) attached" }
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
            h2 #schedules { "Scheduled deliveries" }
            p { "A schedule makes a delivery by itself, as of that moment, each time the count passes a multiple of its step, or every week at the same hour, while the campaign is open; whoever made the schedule, and staff who asked for goal emails, get an email each time. It is made once however many servers run." }
            @if v.schedules.is_empty() {
                p { "No schedules." }
            } @else {
                ul {
                    @for (s, made) in &v.schedules {
                        li {
                            (describe_schedule(s)) "; the signer list includes " (columns_said(&s.fields)) ". "
                            (made) " made so far. Added by " (s.created_by) "."
                            @if v.organizer {
                                form.inline method="post" action={ "/admin/campaigns/" (v.id) "/schedules/" (s.id) "/remove" } {
                                    (csrf_field(v.chrome.csrf))
                                    button.secondary type="submit" { "Remove this schedule" }
                                }
                            }
                        }
                    }
                }
            }
            @if v.organizer {
                (schedule_form(v))
            }
            h2 #digest { "Daily update to recipients" }
            @if v.digest {
                p { "On: while the campaign is open, each recipient with an email address hears at " (format!("{:02}:00", v.digest_hour)) " UTC how many signed in the 24 hours before (not on a day when nobody did). It names nobody." }
            } @else {
                p { "Off. When on, each recipient with an email address hears once a day, at " (format!("{:02}:00", v.digest_hour)) " UTC, how many signed in the 24 hours before." }
            }
            @if v.organizer {
                form method="post" action={ "/admin/campaigns/" (v.id) "/recipient-digest" } {
                    (csrf_field(v.chrome.csrf))
                    input type="hidden" name="on" value=(if v.digest { "0" } else { "1" });
                    button.secondary type="submit" { @if v.digest { "Stop the daily update" } @else { "Send a daily update" } }
                }
            }
        },
    )
}

/// A schedule in words.
pub fn describe_schedule(s: &delivery_schedule::Model) -> String {
    let when = match (s.every, s.weekday) {
        (Some(n), _) => format!("every {n} signatures (counted from {})", s.from_count),
        (None, Some(d)) => format!(
            "every {} at {:02}:00 UTC",
            usize::try_from(d - 1).ok().and_then(|i| DAYS.get(i)).unwrap_or(&"week"),
            s.hour
        ),
        (None, None) => "never".to_owned(),
    };
    format!("{when}{}", if s.send { ", emailed to the recipients" } else { "" })
}

/// The columns of a stored list, in words.
fn columns_said(fields: &str) -> String {
    let said: Vec<&str> = fields
        .split(',')
        .filter_map(|f| Column::ALL.into_iter().find(|c| c.key() == f))
        .map(|c| match c {
            Column::Name => "names",
            Column::JobTitle => "job titles",
            Column::Worksite => "worksites",
            Column::Comment => "comments",
        })
        .collect();
    if said.is_empty() { "no names".to_owned() } else { said.join(", ") }
}

fn schedule_form(v: &DeliveriesView<'_>) -> Markup {
    let f = &v.schedule;
    html! {
        form.edit method="post" action={ "/admin/campaigns/" (v.id) "/schedules" } novalidate {
            (csrf_field(v.chrome.csrf))
            @if let Some(e) = &v.schedule_error { p.error #e-schedule role="alert" { span.visually-hidden { "Error: " } (e) } }
            fieldset.field {
                legend { "Add a schedule" }
                div.check {
                    input #f-kind-threshold type="radio" name="kind" value="threshold" checked[f.kind == "threshold"];
                    label for="f-kind-threshold" { "Every so many signatures" }
                }
                div.field {
                    label for="f-every" { "Signatures between deliveries" }
                    input #f-every type="text" inputmode="numeric" name="every" value=(f.every) maxlength="12" autocomplete="off"
                        aria-invalid=[v.schedule_error.as_ref().map(|_| "true")]
                        aria-describedby=[v.schedule_error.as_ref().map(|_| "e-schedule")];
                }
                div.check {
                    input #f-kind-weekly type="radio" name="kind" value="weekly" checked[f.kind == "weekly"];
                    label for="f-kind-weekly" { "Every week" }
                }
                div.field {
                    label for="f-weekday" { "Day" }
                    select #f-weekday name="weekday" {
                        @for (i, d) in DAYS.iter().enumerate() {
                            @let n = (i + 1).to_string();
                            option value=(n) selected[f.weekday == n] { (d) }
                        }
                    }
                }
                div.field {
                    label for="f-hour" { "Hour (UTC)" }
                    select #f-hour name="hour" {
                        @for h in 0..24 {
                            @let n = h.to_string();
                            option value=(n) selected[f.hour == n] { (format!("{h:02}:00")) }
                        }
                    }
                }
            }
            fieldset.field {
                legend { "Each delivery's signer list includes" }
                @for c in Column::ALL {
                    div.check {
                        input id={ "f-s_" (c.key()) } type="checkbox" name={ "s_" (c.key()) } value="1" checked[f.columns.contains(&c)];
                        label for={ "f-s_" (c.key()) } { (column_label(c)) }
                    }
                }
                div.check {
                    input #f-s_send type="checkbox" name="s_send" value="1" checked[f.send];
                    label for="f-s_send" { "Email each delivery to every recipient who has an address" }
                }
            }
            button type="submit" { "Add the schedule" }
        }
    }
}
