//! The email outbox (admins): every email written, whether it was sent, and each one's text.
//! Without `SMTP_URL` this is where emails are read.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field};

/// An email as listed.
pub struct OutboxRow {
    pub id: i64,
    pub created: String,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub status: String,
    pub attempts: i32,
}

pub struct OutboxView<'a> {
    pub chrome: Chrome<'a>,
    pub rows: &'a [OutboxRow],
    /// `queued`, `sent`, `failed` with how many of each.
    pub counts: &'a [(&'static str, i64)],
    /// The status shown, if one was chosen.
    pub status: Option<&'a str>,
    /// Emails are sent (`SMTP_URL` is set).
    pub sending: bool,
    /// How many are listed at most.
    pub limit: u64,
}

/// What a status means, said to people.
fn status_label(status: &str, sending: bool) -> &'static str {
    match status {
        "sent" => "Sent",
        "failed" => "Not sent: failed",
        _ if sending => "Waiting to be sent",
        _ => "Kept here (no mail server)",
    }
}

pub fn outbox_page(v: &OutboxView<'_>) -> Markup {
    admin_page(
        "Email outbox",
        &v.chrome,
        html! {
            h1 { "Email outbox" }
            @if v.sending {
                p { "Every email the server writes is listed here, with whether the mail server took it. Emails it refused for now are tried again, waiting longer each time." }
            } @else {
                div.notice role="note" {
                    p { strong { "No mail server is set up" } " (" code { "SMTP_URL" } " is unset): emails are kept here and not sent. Set " code { "SMTP_URL" } " and restart to send them, these included." }
                }
            }
            nav aria-label="Emails by status" {
                ul.tabs {
                    li { a href="/admin/outbox" aria-current=[v.status.is_none().then_some("page")] { "All" } }
                    @for (status, n) in v.counts {
                        li { a href={ "/admin/outbox?status=" (status) } aria-current=[(v.status == Some(*status)).then_some("page")] { (status_label(status, v.sending)) " (" (n) ")" } }
                    }
                }
            }
            @if v.rows.is_empty() {
                p { "No emails." }
            } @else {
                @if v.rows.len() as u64 >= v.limit { p.hint { "The newest " (v.limit) " are shown." } }
                div.scroll tabindex="0" role="region" aria-label="Emails" { table {
                    thead { tr {
                        th scope="col" { "Written (UTC)" } th scope="col" { "To" } th scope="col" { "Subject" }
                        th scope="col" { "Kind" } th scope="col" { "State" }
                    } }
                    tbody {
                        @for r in v.rows {
                            tr {
                                td { (r.created) }
                                td { (r.to) }
                                td { a href={ "/admin/outbox/" (r.id) } { (r.subject) } }
                                td { code { (r.kind) } }
                                td { (status_label(&r.status, v.sending)) @if r.attempts > 0 && r.status != "sent" { " (" (r.attempts) " " (if r.attempts == 1 { "attempt" } else { "attempts" }) ")" } }
                            }
                        }
                    }
                } }
            }
        },
    )
}

/// One email in full.
pub struct EmailView<'a> {
    pub chrome: Chrome<'a>,
    pub email: &'a entity::email::Model,
    pub sending: bool,
}

pub fn email_page(v: &EmailView<'_>) -> Markup {
    let e = v.email;
    const WHEN: &str = "%Y-%m-%d %H:%M:%S UTC";
    admin_page(
        &e.subject,
        &v.chrome,
        html! {
            p { a href="/admin/outbox" { "← Email outbox" } }
            h1 { (e.subject) }
            dl.facts {
                dt { "To" } dd { (e.to_address) }
                dt { "Kind" } dd { code { (e.kind) } }
                dt { "Written" } dd { (e.created_at.format(WHEN)) }
                dt { "State" } dd {
                    (status_label(&e.status, v.sending))
                    @if let Some(at) = e.sent_at { " " (at.format(WHEN)) }
                    @if e.status == "queued" && e.attempts > 0 { ", next attempt " (e.due_at.format(WHEN)) }
                }
                dt { "Attempts" } dd { (e.attempts) }
                @if let Some(error) = &e.last_error { dt { "Mail server said" } dd { code { (error) } } }
            }
            @if e.status == "failed" {
                form method="post" action={ "/admin/outbox/" (e.id) "/send-again" } {
                    (csrf_field(v.chrome.csrf))
                    button type="submit" { "Send again" }
                }
            }
            h2 { "Text" }
            @if e.status == crate::db::mail::SENT && entity::email::TOKEN_LINKS.iter().any(|p| e.text_body.contains(&format!("{p}…"))) {
                p.hint { "A link that acts for its recipient (confirming a signature, stopping updates) is kept here without its code (…) once the email is sent: only the recipient has it." }
            }
            pre.email { (e.text_body) }
        },
    )
}
