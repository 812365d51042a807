//! Staff pages: sign-in, setting a password, the admin home and the audit log. Server-rendered,
//! usable without JavaScript, in English.

use maud::{Markup, html};

use super::layout::{PageMeta, page};
use crate::i18n::Locale;

pub mod campaigns;
pub mod dashboard;
pub mod deliveries;
pub mod exports;
pub mod landing;
pub mod outbox;
pub mod paper;
pub mod review;
pub mod signatures;
pub mod staff;
pub mod supporters;
pub mod tokens;

/// A staff page's shell: never indexed, no language switch.
fn staff_page(title: &str, body: Markup) -> Markup {
    page(&PageMeta::simple(title, Locale::En), body)
}

/// What every page of a signed-in staff member shows around its content: where they are
/// signed in, the way to the other pages, sign-out, and what the last action did.
pub struct Chrome<'a> {
    pub email: &'a str,
    pub role: &'a str,
    /// Admins also see the audit log.
    pub admin: bool,
    pub csrf: &'a str,
    pub flash: Option<Flash>,
}

/// What a staff action did, said once on the page it leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flash {
    Created,
    Saved,
    Published,
    Closed,
    Reopened,
    OfflineAdded,
    Invalidated,
    Restored,
    Released,
    SiteAdded,
    SiteRemoved,
    LandingCreated,
    ImageSaved,
    CodeAdded,
    StaffChanged,
    TokenRevoked,
    AlertsOn,
    AlertsOff,
    EmailQueued,
    PaperEntered,
    ScheduleAdded,
    ScheduleRemoved,
    DigestOn,
    DigestOff,
    SupporterErased,
    NothingErased,
}

impl Flash {
    const ALL: [Self; 26] = [
        Self::Created,
        Self::Saved,
        Self::Published,
        Self::Closed,
        Self::Reopened,
        Self::OfflineAdded,
        Self::Invalidated,
        Self::Restored,
        Self::Released,
        Self::SiteAdded,
        Self::SiteRemoved,
        Self::LandingCreated,
        Self::ImageSaved,
        Self::CodeAdded,
        Self::StaffChanged,
        Self::TokenRevoked,
        Self::AlertsOn,
        Self::AlertsOff,
        Self::EmailQueued,
        Self::PaperEntered,
        Self::ScheduleAdded,
        Self::ScheduleRemoved,
        Self::DigestOn,
        Self::DigestOff,
        Self::SupporterErased,
        Self::NothingErased,
    ];

    /// Its name in the cookie that carries it to the next page.
    pub fn code(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Saved => "saved",
            Self::Published => "published",
            Self::Closed => "closed",
            Self::Reopened => "reopened",
            Self::OfflineAdded => "offline",
            Self::Invalidated => "invalidated",
            Self::Restored => "restored",
            Self::Released => "released",
            Self::SiteAdded => "site",
            Self::SiteRemoved => "unsite",
            Self::LandingCreated => "landing",
            Self::ImageSaved => "image",
            Self::CodeAdded => "code",
            Self::StaffChanged => "staff",
            Self::TokenRevoked => "revoked",
            Self::AlertsOn => "alerts-on",
            Self::AlertsOff => "alerts-off",
            Self::EmailQueued => "queued",
            Self::PaperEntered => "paper",
            Self::ScheduleAdded => "schedule",
            Self::ScheduleRemoved => "unscheduled",
            Self::DigestOn => "digest-on",
            Self::DigestOff => "digest-off",
            Self::SupporterErased => "erased",
            Self::NothingErased => "not-erased",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    fn message(self) -> &'static str {
        match self {
            Self::Created => "Campaign created as a draft. Nobody else can see it until it is published.",
            Self::Saved => "Saved. The public page shows the change within a second.",
            Self::Published => "Published: the campaign is open for signatures.",
            Self::Closed => "Closed: the page stays up with its count, and no one can sign.",
            Self::Reopened => "Reopened: the campaign takes signatures again.",
            Self::OfflineAdded => "Offline signatures added to the count.",
            Self::Invalidated => {
                "Invalidated: those signatures no longer count. The invalidation can be restored below."
            }
            Self::Restored => {
                "Restored: the signatures have the status they had before, and count again if they did."
            }
            Self::Released => "Released: those signatures count now.",
            Self::SiteAdded => "Shared site added: signers there are no longer held for sharing one network.",
            Self::SiteRemoved => "Shared site removed.",
            Self::LandingCreated => "Landing page created.",
            Self::ImageSaved => {
                "Image saved: it is the page's picture now, cleaned of what the camera wrote into it."
            }
            Self::CodeAdded => "Short code added: its QR code is ready to print.",
            Self::StaffChanged => "Done: the account's access changed at once.",
            Self::TokenRevoked => "Revoked: the token no longer works, from now on.",
            Self::AlertsOn => {
                "Goal emails on: you will get one as the petition passes 25, 50, 75 and 100% of its goal."
            }
            Self::AlertsOff => "Goal emails off for this petition.",
            Self::EmailQueued => "The email is back in the queue and will be sent again.",
            Self::ScheduleAdded => {
                "Schedule added: each delivery it makes is listed here, and you get an email."
            }
            Self::ScheduleRemoved => "Schedule removed. The deliveries it made stay.",
            Self::DigestOn => "Daily updates on: recipients with an address hear how many signed each day.",
            Self::DigestOff => "Daily updates off.",
            Self::SupporterErased => {
                "Deleted: their personal data is gone from their signatures and the emails written to them. Their counted signatures still count; signer lists already delivered stay as delivered."
            }
            Self::NothingErased => "Nothing to delete: that supporter was deleted already.",
            Self::PaperEntered => {
                "Batch entered: the table below says how many counted and how many had already signed."
            }
        }
    }
}

/// A page of the signed-in admin.
fn admin_page(title: &str, chrome: &Chrome<'_>, body: Markup) -> Markup {
    staff_page(
        title,
        html! {
            nav.admin aria-label="Admin" {
                ul {
                    li { a href="/admin" { "Campaigns" } }
                    @if chrome.admin {
                        li { a href="/admin/staff" { "Staff" } }
                        li { a href="/admin/tokens" { "API tokens" } }
                        li { a href="/admin/outbox" { "Email outbox" } }
                        li { a href="/admin/supporters" { "Supporters" } }
                        li { a href="/admin/audit" { "Audit log" } }
                    }
                }
                p.who { "Signed in as " strong { (chrome.email) } " (" (chrome.role) ")" }
                form method="post" action="/admin/logout" {
                    (csrf_field(chrome.csrf))
                    button.secondary.small type="submit" { "Sign out" }
                }
            }
            @if let Some(flash) = chrome.flash {
                div.notice.flash role="status" { p { (flash.message()) } }
            }
            (body)
        },
    )
}

/// The list of a refused form's errors, each a link to its field (`#f-{name}`); nothing when
/// there are none.
pub(crate) fn error_summary<'a>(errors: impl Iterator<Item = (&'a str, &'a str)>) -> Markup {
    let errors: Vec<(&str, &str)> = errors.collect();
    html! {
        @if !errors.is_empty() {
            div.summary role="alert" {
                p { strong { "Please correct these and save again:" } }
                ul { @for (name, e) in &errors { li { a href={ "#f-" (name) } { (e) } } } }
            }
        }
    }
}

/// A select's error above it, and the attributes that tie it to the select
/// (`aria-invalid`, `aria-describedby`).
pub(crate) fn select_error(
    name: &str,
    error: Option<&str>,
) -> (Markup, Option<&'static str>, Option<String>) {
    let id = format!("e-{name}");
    let shown =
        html! { @if let Some(e) = error { p.error id=(id) { span.visually-hidden { "Error: " } (e) } } };
    (shown, error.map(|_| "true"), error.map(|_| id))
}

/// A labelled text input with its error (if any) above it.
fn field(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    error: Option<&str>,
) -> Markup {
    let id = format!("f-{name}");
    let err_id = format!("e-{name}");
    html! {
        div.field.has-error[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(e) = error {
                p.error id=(err_id) { span.visually-hidden { "Error: " } (e) }
            }
            input id=(id) name=(name) type=(kind) value=(value) autocomplete=(autocomplete) required
                maxlength="320" aria-invalid=[error.map(|_| "true")]
                aria-describedby=[error.map(|_| err_id.as_str())] autofocus[error.is_some()];
        }
    }
}

/// The form's anti-forgery field.
fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// `/admin/login`.
pub fn login_page(csrf: &str, email: &str, next: &str, error: Option<&str>) -> Markup {
    staff_page(
        "Staff sign-in",
        html! {
            h1 { "Staff sign-in" }
            @if let Some(e) = error {
                div.alert role="alert" { p { (e) } }
            }
            form.sign #sign method="post" action="/admin/login" novalidate {
                (csrf_field(csrf))
                input type="hidden" name="next" value=(next);
                (field("email", "Email", "email", email, "username", None))
                (field("password", "Password", "password", "", "current-password", None))
                button type="submit" { "Sign in" }
            }
            p { "Lost your password? Ask an admin to run " code { "undersigned staff reset --email YOU" } "." }
        },
    )
}

/// Errors on the form that creates the first admin or sets a password.
#[derive(Debug, Default)]
pub struct PasswordErrors {
    pub email: Option<String>,
    pub password: Option<String>,
}

/// `/admin/setup/{token}` (with `email`) and `/admin/password/{token}` (without).
pub fn password_page(
    title: &str,
    intro: &str,
    action: &str,
    csrf: &str,
    email: Option<&str>,
    errors: &PasswordErrors,
) -> Markup {
    staff_page(
        title,
        html! {
            h1 { (title) }
            p { (intro) }
            form.sign #sign method="post" action=(action) novalidate {
                (csrf_field(csrf))
                @if let Some(email) = email {
                    (field("email", "Your email", "email", email, "username", errors.email.as_deref()))
                }
                (field("password", "New password (at least 12 characters)", "password", "", "new-password", errors.password.as_deref()))
                (field("password_again", "The new password again", "password", "", "new-password", None))
                button type="submit" { "Save and sign in" }
            }
        },
    )
}

/// A page that says one thing (a link that no longer works, a refusal).
pub fn notice_page(title: &str, text: &str) -> Markup {
    staff_page(
        title,
        html! {
            h1 { (title) }
            p { (text) }
            p { a href="/admin/login" { "Staff sign-in" } }
        },
    )
}

/// A campaign on the admin home.
pub struct CampaignRow {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub count: i64,
    /// Counted signatures today and in the last 7 days (UTC).
    pub today: i64,
    pub last_7_days: i64,
    pub goal: i64,
}

/// `/admin`: every campaign, with a way to edit each for organizers and admins.
pub fn home_page(chrome: &Chrome<'_>, campaigns: &[CampaignRow], organizer: bool) -> Markup {
    admin_page(
        "Campaigns",
        chrome,
        html! {
            h1 { "Campaigns" }
            @if organizer { p { a.button href="/admin/campaigns/new" { "New campaign" } } }
            @if campaigns.is_empty() {
                p { "No petitions or letters yet." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="Campaigns" { table {
                    thead { tr {
                        th scope="col" { "Title" } th scope="col" { "Kind" } th scope="col" { "Status" }
                        th scope="col" { "Signatures" } th scope="col" { "Today" } th scope="col" { "Last 7 days" }
                        th scope="col" { "Goal" } th scope="col" { "Dashboard" }
                    } }
                    tbody {
                        @for c in campaigns {
                            tr {
                                td {
                                    @if organizer {
                                        a href={ "/admin/campaigns/" (c.id) } { (title_or_untitled(&c.title)) }
                                    } @else if c.status == "draft" {
                                        (title_or_untitled(&c.title))
                                    } @else {
                                        a href={ "/p/" (c.slug) } { (title_or_untitled(&c.title)) }
                                    }
                                }
                                td { (c.kind) }
                                td { (c.status) }
                                td { (c.count) }
                                td { (c.today) }
                                td { (c.last_7_days) }
                                td {
                                    @if c.goal > 0 {
                                        (c.goal) " (" (format!("{:.0}%", c.count as f64 * 100.0 / c.goal as f64)) ")"
                                    }
                                }
                                td {
                                    a href={ "/admin/campaigns/" (c.id) "/dashboard" } {
                                        "Dashboard" span.visually-hidden { ": " (title_or_untitled(&c.title)) }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            form method="post" action="/admin/logout-everywhere" {
                (csrf_field(chrome.csrf))
                button.secondary type="submit" { "Sign out on every device" }
            }
        },
    )
}

/// “1 signature”, “2 signatures”.
pub(crate) fn signatures(n: impl Into<i64>) -> String {
    match n.into() {
        1 => "1 signature".to_owned(),
        n => format!("{n} signatures"),
    }
}

/// A language's name on the (English) staff pages.
pub(crate) fn language_name(locale: Locale) -> &'static str {
    match locale {
        Locale::En => "English",
        Locale::Es => "Spanish",
    }
}

/// A draft may have no title yet.
pub(crate) fn title_or_untitled(title: &str) -> &str {
    if title.is_empty() { "(untitled)" } else { title }
}

/// A line of the audit log as shown.
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub ip_hash: String,
}

/// What the audit log page shows.
pub struct AuditView<'a> {
    pub rows: &'a [AuditRow],
    /// Every action in the log, for the filter.
    pub actions: &'a [String],
    /// The filters as typed.
    pub action: &'a str,
    pub actor: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    /// What was wrong with the filters.
    pub errors: &'a [String],
    /// The filters as a query string, for the page links and the CSV link.
    pub query: &'a str,
    pub page: u64,
    /// There is a next page.
    pub more: bool,
}

/// `/admin/audit`.
pub fn audit_page(chrome: &Chrome<'_>, v: &AuditView<'_>) -> Markup {
    let with_page = |page: u64| {
        if v.query.is_empty() {
            format!("/admin/audit?page={page}")
        } else {
            format!("/admin/audit?{}&page={page}", v.query)
        }
    };
    let csv = if v.query.is_empty() {
        "/admin/audit.csv".to_owned()
    } else {
        format!("/admin/audit.csv?{}", v.query)
    };
    admin_page(
        "Audit log",
        chrome,
        html! {
            h1 { "Audit log" }
            @if !v.errors.is_empty() {
                div.alert role="alert" { @for e in v.errors { p { (e) } } }
            }
            form.filters method="get" action="/admin/audit" {
                div.field {
                    label for="f-action" { "Action" }
                    select id="f-action" name="action" {
                        option value="" selected[v.action.is_empty()] { "Any" }
                        @for a in v.actions {
                            option value=(a) selected[a == v.action] { (a) }
                        }
                    }
                }
                div.field {
                    label for="f-actor" { "Who (part of an email)" }
                    input id="f-actor" name="actor" type="text" value=(v.actor) maxlength="320";
                }
                div.field {
                    label for="f-from" { "From (YYYY-MM-DD)" }
                    input id="f-from" name="from" type="date" value=(v.from);
                }
                div.field {
                    label for="f-to" { "To (YYYY-MM-DD, included)" }
                    input id="f-to" name="to" type="date" value=(v.to);
                }
                button type="submit" { "Filter" }
            }
            p { a href=(csv) download { "Download these lines as CSV" } }
            @if v.rows.is_empty() {
                p { "No lines match." }
            } @else {
                p { "Page " (v.page) ", newest first." }
                div.scroll tabindex="0" role="region" aria-label="Audit log entries" { table {
                    thead { tr {
                        th scope="col" { "When (UTC)" } th scope="col" { "Who" } th scope="col" { "What" }
                        th scope="col" { "Record" } th scope="col" { "Detail" } th scope="col" { "Address (hashed)" }
                    } }
                    tbody {
                        @for r in v.rows {
                            tr { td { (r.at) } td { (r.actor) } td { (r.action) } td { (r.subject) } td { (r.detail) } td { code { (r.ip_hash) } } }
                        }
                    }
                } }
            }
            nav aria-label="Pages" {
                @if v.page > 1 { a href=(with_page(v.page - 1)) rel="prev" { "Newer" } " " }
                @if v.more { a href=(with_page(v.page + 1)) rel="next" { "Older" } }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flash_comes_back_from_its_code_and_codes_differ() {
        for flash in Flash::ALL {
            assert_eq!(Flash::from_code(flash.code()), Some(flash));
        }
        let mut codes: Vec<&str> = Flash::ALL.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Flash::ALL.len());
        assert_eq!(Flash::from_code("<script>"), None);
    }
}
