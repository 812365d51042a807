//! Deleting a supporter at their request (admins): find them by their address, see what they
//! signed, then delete their personal data; their signatures keep counting, anonymised.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field};

/// One signature of the supporter found.
pub struct SignedRow {
    pub campaign: String,
    pub status: &'static str,
    pub signed: String,
}

pub struct SupportersView<'a> {
    pub chrome: Chrome<'a>,
    /// The address as typed.
    pub email: &'a str,
    /// What was wrong with the address.
    pub address_error: Option<&'a str>,
    /// What was wrong with the deletion form (the box not ticked).
    pub confirm_error: Option<&'a str>,
    /// The address was looked up: the supporter, their signatures and the deliveries that name
    /// them, if there is one.
    pub found: Option<Option<FoundView<'a>>>,
}

pub struct FoundView<'a> {
    pub id: i64,
    pub rows: &'a [SignedRow],
    /// (public record's path, campaign, cut-off) of each delivery whose signer list names them.
    pub named_in: &'a [(String, String, String)],
    /// Some of their signatures wait for confirmation.
    pub waiting: bool,
}

pub fn supporters_page(v: &SupportersView<'_>) -> Markup {
    let looked_up = v.found.is_some();
    let address_error = v.address_error;
    admin_page(
        "Delete a supporter",
        &v.chrome,
        html! {
            h1 { "Delete a supporter" }
            p { "When someone asks to be deleted, find them by the email address they signed with. Deleting removes their name, email address, phone, employer, job title, comments and network from every signature and from the emails written to them; their postal code becomes its region. Their signatures keep counting, so every count, chart and delivery stays as it was." }
            p { "Signer data is also anonymised this way for every signer of a campaign some months after it closes (" code { "RETENTION_MONTHS" } ")." }
            form.edit method="post" action="/admin/supporters/find" novalidate {
                (csrf_field(v.chrome.csrf))
                div.field.has-error[address_error.is_some()] {
                    label for="f-email" { "Email address they signed with" }
                    @if let Some(e) = address_error { p.error id="e-email" { span.visually-hidden { "Error: " } (e) } }
                    input #f-email type="email" name="email" value=(v.email) maxlength="320" autocomplete="off" required
                        aria-invalid=[address_error.map(|_| "true")] aria-describedby=[address_error.map(|_| "e-email")];
                }
                button type="submit" { "Find" }
            }
            @match &v.found {
                Some(None) if address_error.is_none() => {
                    div.notice role="status" { p { "No one has signed with this address (or they were deleted already)." } }
                }
                Some(Some(f)) => {
                    section aria-labelledby="found" {
                        h2 #found { "What they signed" }
                        div.scroll tabindex="0" role="region" aria-label="Their signatures" { table {
                            thead { tr { th scope="col" { "Campaign" } th scope="col" { "Status" } th scope="col" { "Signed (UTC)" } } }
                            tbody {
                                @for r in f.rows {
                                    tr { td { (r.campaign) } td { (r.status) } td { (r.signed) } }
                                }
                            }
                        } }
                        @if f.waiting {
                            p { "Their signatures waiting for confirmation will never count: their links go too." }
                        }
                        @if !f.named_in.is_empty() {
                            p { "They agreed to be named on these delivered letters. Those signer lists were delivered as they are, and their public records keep them (with the digest that proves them):" }
                            ul {
                                @for (path, campaign, cutoff) in f.named_in {
                                    li { a href=(path) { (campaign) ", as of " (cutoff) } }
                                }
                            }
                        }
                        p { "If they sign again later, they are a new supporter and count again." }
                        form.edit method="post" action={ "/admin/supporters/" (f.id) "/erase" } novalidate {
                            (csrf_field(v.chrome.csrf))
                            input type="hidden" name="email" value=(v.email);
                            div.field.has-error[v.confirm_error.is_some()] {
                                @if let Some(e) = v.confirm_error { p.error id="e-confirm" { span.visually-hidden { "Error: " } (e) } }
                                div.check {
                                    input #f-confirm type="checkbox" name="confirm" value="1" required
                                        aria-invalid=[v.confirm_error.map(|_| "true")] aria-describedby=[v.confirm_error.map(|_| "e-confirm")];
                                    label for="f-confirm" { "This person asked to be deleted. This cannot be undone." }
                                }
                            }
                            button type="submit" { "Delete their personal data" }
                        }
                    }
                }
                _ => {}
            }
            @if !looked_up { p.hint { "Nothing is changed until you confirm." } }
        },
    )
}
