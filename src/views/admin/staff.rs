//! Staff accounts for admins: who has access and with which role, adding an account, changing
//! a role, a new password link, and locking an account out.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field};

/// An account as listed.
pub struct StaffRow {
    pub id: i64,
    pub email: String,
    pub role: &'static str,
    /// It has a password (it can sign in).
    pub active: bool,
    pub created: String,
    /// The signed-in admin's own account.
    pub me: bool,
}

/// A one-time link just made, to hand to its owner.
pub struct NewLink {
    pub email: String,
    pub url: String,
    pub valid: &'static str,
}

pub struct StaffView<'a> {
    pub chrome: Chrome<'a>,
    pub rows: &'a [StaffRow],
    pub link: Option<NewLink>,
    /// The add form as typed, and what was wrong with it.
    pub email: &'a str,
    pub role: &'a str,
    pub error: Option<&'a str>,
    /// A refusal of an action on an account.
    pub refusal: Option<&'a str>,
}

const ROLES: [(&str, &str); 3] = [
    ("viewer", "Viewer: counts and reports, no personal data"),
    ("organizer", "Organizer: campaigns, exports, signatures"),
    ("admin", "Admin: everything, staff accounts included"),
];

pub fn staff_page(v: &StaffView<'_>) -> Markup {
    admin_page(
        "Staff accounts",
        &v.chrome,
        html! {
            h1 { "Staff accounts" }
            @if let Some(link) = &v.link {
                div.notice role="status" {
                    p { "Send this one-time link to " strong { (link.email) } " (valid " (link.valid) "). It is shown only now." }
                    label for="new-link" { "One-time link" }
                    input.link #new-link type="text" readonly value=(link.url);
                }
            }
            @if let Some(r) = v.refusal { div.alert role="alert" { p { (r) } } }
            div.scroll tabindex="0" role="region" aria-label="Staff accounts" { table {
                thead { tr {
                    th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Can sign in" }
                    th scope="col" { "Since" } th scope="col" { "Change" }
                } }
                tbody {
                    @for r in v.rows {
                        tr {
                            td { (r.email) @if r.me { " (you)" } }
                            td { (r.role) }
                            td { @if r.active { "yes" } @else { "no: waiting for its link" } }
                            td { (r.created) }
                            td {
                                form.inline method="post" action={ "/admin/staff/" (r.id) "/role" } {
                                    (csrf_field(v.chrome.csrf))
                                    label.visually-hidden for={ "role-" (r.id) } { "Role of " (r.email) }
                                    select id={ "role-" (r.id) } name="role" {
                                        @for (value, _) in ROLES { option value=(value) selected[value == r.role] { (value) } }
                                    }
                                    button.secondary.small type="submit" aria-label={ "Change role: " (r.email) } { "Change role" }
                                }
                                form.inline method="post" action={ "/admin/staff/" (r.id) "/reset" } {
                                    (csrf_field(v.chrome.csrf))
                                    button.secondary.small type="submit" aria-label={ "New password link: " (r.email) } { "New password link" }
                                }
                                @if !r.me && r.active {
                                    form.inline method="post" action={ "/admin/staff/" (r.id) "/lock" } {
                                        (csrf_field(v.chrome.csrf))
                                        button.secondary.small type="submit" aria-label={ "Lock out: " (r.email) } { "Lock out" }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            p.hint { "Locking an account out ends its sessions and removes its password; a new password link lets it back in." }
            h2 { "Add a staff member" }
            form.edit method="post" action="/admin/staff" novalidate {
                (csrf_field(v.chrome.csrf))
                div.field.has-error[v.error.is_some()] {
                    label for="f-email" { "Email" }
                    @if let Some(e) = v.error { p.error id="e-email" { span.visually-hidden { "Error: " } (e) } }
                    input #f-email type="email" name="email" value=(v.email) maxlength="320" autocomplete="off"
                        aria-invalid=[v.error.map(|_| "true")] aria-describedby=[v.error.map(|_| "e-email")];
                }
                fieldset.field {
                    legend { "Role" }
                    @for (value, label) in ROLES {
                        div.check {
                            input id={ "f-role-" (value) } type="radio" name="role" value=(value) checked[value == v.role];
                            label for={ "f-role-" (value) } { (label) }
                        }
                    }
                }
                button type="submit" { "Add, and show the link to send" }
            }
        },
    )
}
