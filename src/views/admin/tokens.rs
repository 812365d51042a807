//! API tokens (admins): the list, making one (shown once), revoking one.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field};

/// A token as listed.
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    /// Its first characters.
    pub hint: String,
    /// The petition a CSV link reads.
    pub petition: Option<String>,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

pub struct TokensView<'a> {
    pub chrome: Chrome<'a>,
    pub rows: &'a [TokenRow],
    /// A token just made: its name and the token, shown this once.
    pub made: Option<(String, String)>,
    /// The form as typed, and what was wrong with it.
    pub name: &'a str,
    pub scope: &'a str,
    pub error: Option<&'a str>,
}

const SCOPES: [(&str, &str); 2] = [
    ("read", "Read: petitions, counts and signatures"),
    ("write", "Write: also adds signatures (partner sites, paper entry)"),
];

pub fn tokens_page(v: &TokensView<'_>) -> Markup {
    admin_page(
        "API tokens",
        &v.chrome,
        html! {
            h1 { "API tokens" }
            p { "Other tools read petitions, counts and signatures through the " a href="/api/v1/docs" { "API" } " with a token, sent as " code { "Authorization: Bearer <token>" } ". Only a token's hash is kept: copy it when it is made." }
            @if let Some((name, token)) = &v.made {
                div.notice role="status" {
                    p { "The token " strong { (name) } " is made. Copy it now: it is shown only this once." }
                    label for="new-token" { "Token" }
                    input.link #new-token type="text" readonly value=(token);
                }
            }
            @if v.rows.is_empty() {
                p { "No tokens yet." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="API tokens" { table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Scope" } th scope="col" { "Starts with" }
                        th scope="col" { "Made" } th scope="col" { "Last used" } th scope="col" { "State" }
                    } }
                    tbody {
                        @for r in v.rows {
                            tr {
                                td { (r.name) }
                                td { (r.scope) @if let Some(p) = &r.petition { " (" (p) ")" } }
                                td { code { (r.hint) "…" } }
                                td { (r.created) }
                                td { (r.last_used.as_deref().unwrap_or("never")) }
                                td {
                                    @if let Some(at) = &r.revoked {
                                        "revoked " (at)
                                    } @else {
                                        form.inline method="post" action={ "/admin/tokens/" (r.id) "/revoke" } {
                                            (csrf_field(v.chrome.csrf))
                                            button.secondary.small type="submit" aria-label={ "Revoke: " (r.name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            h2 { "Make a token" }
            form.edit method="post" action="/admin/tokens" novalidate {
                (csrf_field(v.chrome.csrf))
                div.field.has-error[v.error.is_some()] {
                    label for="f-name" { "What it is for" }
                    @if let Some(e) = v.error { p.error id="e-name" { span.visually-hidden { "Error: " } (e) } }
                    input #f-name type="text" name="name" value=(v.name) maxlength="100" autocomplete="off"
                        aria-invalid=[v.error.map(|_| "true")] aria-describedby=[v.error.map(|_| "e-name")];
                }
                fieldset.field {
                    legend { "Scope" }
                    @for (value, label) in SCOPES {
                        div.check {
                            input id={ "f-scope-" (value) } type="radio" name="scope" value=(value) checked[value == v.scope];
                            label for={ "f-scope-" (value) } { (label) }
                        }
                    }
                }
                button type="submit" { "Make the token" }
            }
        },
    )
}
