//! A campaign's abuse review (organizers): whether its count agrees with a recount, the notices
//! (an hour in which one network or one email domain signed past its threshold), and the
//! busiest networks and domains per hour, each linked to the preview that invalidates or
//! releases those signatures.

use maud::{Markup, html};

use super::{Chrome, admin_page, title_or_untitled};
use crate::domain::review::{By, Group, Thresholds};

pub struct ReviewView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    /// How far back the groups look, in hours, and the choices offered.
    pub hours: i64,
    pub choices: &'a [i64],
    /// The stored tally, the validated rows counted one by one, the aggregates' sum.
    pub tally: i64,
    pub rows: i64,
    pub aggregated: i64,
    /// Held signatures now, over the whole campaign.
    pub held: u64,
    /// The busiest groups of each kind.
    pub groups: &'a [Group],
    /// Every group past its threshold, busiest first.
    pub notices: &'a [Group],
    pub thresholds: Thresholds,
    /// Signatures looked at, and whether there were more than are looked at.
    pub looked_at: usize,
    pub cut_short: bool,
}

fn hour(g: &Group) -> String {
    g.hour.format("%Y-%m-%d %H:00").to_string()
}

/// A group's key as shown: a network's hash in code type.
fn key(g: &Group) -> Markup {
    match g.by {
        By::Network => html! { code { (g.key) } },
        By::Domain => html! { (g.key) },
    }
}

/// The criteria that choose a group's signatures on the invalidation and release previews (a
/// domain only in the letters those take).
fn criteria(g: &Group) -> Option<String> {
    let day = g.hour.format("%Y-%m-%d");
    match g.by {
        By::Network => Some(format!("network={}&from={day}&to={day}", g.key)),
        By::Domain
            if g.key.contains('.')
                && g.key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') =>
        {
            Some(format!("domain={}&from={day}&to={day}", g.key))
        }
        By::Domain => None,
    }
}

fn table(v: &ReviewView<'_>, by: By, label: &str) -> Markup {
    let base = format!("/admin/campaigns/{}/signatures", v.id);
    let rows: Vec<&Group> = v.groups.iter().filter(|g| g.by == by).collect();
    html! {
        @if rows.is_empty() {
            p { "None in this time." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label=(label) { table {
                thead { tr {
                    th scope="col" { "Hour (UTC)" }
                    th scope="col" { (if by == By::Network { "Network" } else { "Email domain" }) }
                    th scope="col" { "Signatures" } th scope="col" { "Counted" } th scope="col" { "Held" }
                    th scope="col" { "Waiting for confirmation" } th scope="col" { "That day's signatures" }
                } }
                tbody {
                    @for g in rows {
                        tr {
                            td { (hour(g)) }
                            td { (key(g)) @if g.notice { " " strong { "(notice)" } } }
                            td { (g.signatures) } td { (g.validated) } td { (g.held) } td { (g.pending) }
                            td {
                                @if let Some(c) = criteria(g) {
                                    a href={ (base) "/invalidate?" (c) } { "Invalidate…" }
                                    " · " a href={ (base) "/release?" (c) } { "Release held…" }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

pub fn review_page(v: &ReviewView<'_>) -> Markup {
    let title = format!("Review: {}", title_or_untitled(v.title));
    let notices = v.notices;
    let drift = v.tally != v.rows || v.aggregated != v.rows;
    admin_page(
        &title,
        &v.chrome,
        html! {
            h1 { (title) }
            p {
                a href={ "/admin/campaigns/" (v.id) "/dashboard" } { "Dashboard" }
                " · " a href={ "/admin/campaigns/" (v.id) "/signatures" } { "Signatures" }
                " · " a href={ "/admin/campaigns/" (v.id) "/signatures/release" } { "Held signatures (" (v.held) ")" }
            }
            p { "Scripts and sign-up farms show as many signatures from one network or one email domain in a short time. So do colleagues on one workplace's Wi-Fi: a notice asks you to look, and nothing is removed by itself. If a network is a real shared site, mark it on the held signatures' page so its signers are no longer held." }
            section aria-labelledby="h-count" {
                h2 #h-count { "The count" }
                @if drift {
                    div.alert role="alert" {
                        p { strong { "The count does not agree with the stored signatures." } " Shown: " (v.tally) "; validated signatures: " (v.rows) "; the dashboard's figures add up to " (v.aggregated) ". Something outside the server changed the database; " code { "undersigned recount --fix" } " sets the count and figures from the signatures (audited)." }
                    }
                } @else {
                    p { "The count shown (" (v.tally) ", before offline signatures) agrees with the validated signatures counted one by one and with the dashboard's figures." }
                }
            }
            section aria-labelledby="h-notices" {
                h2 #h-notices { "Notices" }
                form method="get" {
                    label for="f-hours" { "Looking back" }
                    " "
                    select #f-hours name="hours" {
                        @for h in v.choices {
                            option value=(h) selected[*h == v.hours] { (match *h { 24 => "1 day".to_owned(), h if h % 24 == 0 => format!("{} days", h / 24), h => format!("{h} hours") }) }
                        }
                    }
                    " "
                    button.secondary.small type="submit" { "Show" }
                }
                @if notices.is_empty() {
                    p { "No hour in which one network signed " (v.thresholds.network) " times or more, or one email domain " (v.thresholds.domain) " times or more." }
                } @else {
                    ul {
                        @for g in notices {
                            li {
                                (hour(g)) " UTC: " (g.signatures) " signatures from "
                                (if g.by == By::Network { "the network " } else { "the email domain " }) (key(g))
                                " (" (g.validated) " counted, " (g.held) " held, " (g.pending) " waiting)."
                            }
                        }
                    }
                }
                p.hint {
                    "A notice is raised by " (v.thresholds.network) " signatures from one network in an hour (" code { "REVIEW_NETWORK_PER_HOUR" } ") or " (v.thresholds.domain) " from one email domain (" code { "REVIEW_DOMAIN_PER_HOUR" } "; large mail providers are left out). "
                    (v.looked_at) " signatures looked at"
                    @if v.cut_short { " (the newest ones only: there were more)" }
                    "."
                }
            }
            p.hint { "Each row's links open the previews that invalidate or release that network's or domain's signatures of that whole day (UTC): they show how many match, and which, before anything changes." }
            section aria-labelledby="h-networks" {
                h2 #h-networks { "Busiest networks" }
                (table(v, By::Network, "Networks by hour"))
            }
            section aria-labelledby="h-domains" {
                h2 #h-domains { "Busiest email domains" }
                (table(v, By::Domain, "Email domains by hour"))
            }
        },
    )
}
