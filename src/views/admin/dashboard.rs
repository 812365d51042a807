//! A campaign's dashboard: how it is doing (count, today, the last 7 days, the goal) and what
//! works (per day and hour, by landing page, ad campaign, poster, source, referrer, share link
//! and share text, by region), with cost per signature where spend was entered. Each chart has
//! its table; every figure comes from the aggregates and agrees with the count.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field, title_or_untitled};
use crate::{
    db::{
        dashboard::{Count, Figures, HOURS},
        report::{Line, Report},
        sharing::{NetworkLine, TextLine},
    },
    domain::spend::money,
    views::charts::{Bar, bar_chart},
};

/// Everything the dashboard shows.
pub struct DashboardView<'a> {
    pub chrome: Chrome<'a>,
    pub id: i64,
    pub title: &'a str,
    pub slug: &'a str,
    pub status: &'static str,
    /// The public count (online and offline).
    pub count: i64,
    pub offline: i64,
    pub goal: i64,
    pub figures: &'a Figures,
    pub report: &'a Report,
    pub networks: &'a [NetworkLine],
    pub texts: &'a [TextLine],
    /// Links to the editor and the signature list.
    pub organizer: bool,
    /// The goal milestones passed, lowest first.
    pub milestones: &'a [entity::goal_milestone::Model],
    /// This staff member asked for goal emails.
    pub alerts: bool,
    /// Emails are sent (`SMTP_URL` is set), not only kept in the outbox.
    pub sending: bool,
}

/// `/admin/campaigns/{id}/dashboard`.
pub fn dashboard_page(v: &DashboardView<'_>) -> Markup {
    let f = v.figures;
    let title = format!("Dashboard: {}", title_or_untitled(v.title));
    let lines = |dimension: &str| -> Vec<&Line> {
        v.report.lines.iter().filter(|l| l.dimension == dimension).collect()
    };
    let total_line = lines("total").first().copied();
    let visits = total_line.and_then(|l| l.visits).unwrap_or_default();
    let currency = v.report.currency.as_deref().filter(|_| !v.report.mixed_currencies).unwrap_or("");
    let day_lines = lines("day");
    let returning = f.total.signatures - f.total.new_supporters;
    html! {
        (admin_page(&title, &v.chrome, html! {
            h1 { (title) }
            p {
                "Status: " strong { (v.status) } "."
                @if v.status != "draft" { " " a href={ "/p/" (v.slug) } { "Public page" } }
                @if v.organizer {
                    " · " a href={ "/admin/campaigns/" (v.id) } { "Edit" }
                    " · " a href={ "/admin/campaigns/" (v.id) "/signatures" } { "Signatures" }
                    " · " a href={ "/admin/campaigns/" (v.id) "/paper" } { "Paper signatures" }
                    " · " a href={ "/admin/campaigns/" (v.id) "/review" } { "Review" }
                }
                " · " a href={ "/admin/campaigns/" (v.id) "/export" } { "Download signatures and counts" }
                " · " a href={ "/admin/campaigns/" (v.id) "/deliveries" } { "Deliveries" }
            }
            p.hint { "Days and hours are in UTC. Figures count validated signatures; the count also includes offline signatures entered by staff." }
            section aria-labelledby="h-totals" {
                h2 #h-totals { "How it is doing" }
                ul.stats {
                    li { span.figure { (v.count) } " " (plural(v.count, "signature", "signatures")) @if v.offline != 0 { " (" (v.offline) " offline)" } }
                    li { span.figure { (f.today) } " today" }
                    li { span.figure { (f.last_7_days) } " in the last 7 days" }
                    li { span.figure { (f.total.new_supporters) } " " (plural(f.total.new_supporters, "new supporter", "new supporters")) ", " (returning) " who signed before" }
                    li { span.figure { (visits) } " " (plural(visits, "landing page visit", "landing page visits")) @if let Some(c) = total_line.and_then(Line::conversion) { ", " (percent(c)) " of them signed" } }
                }
                @if v.goal > 0 {
                    @let share = v.count as f64 / v.goal as f64;
                    p {
                        label for="goal" { "Goal: " (v.count) " of " (v.goal) " (" (percent(share)) ")" }
                        br;
                        progress #goal max=(v.goal) value=(v.count.min(v.goal)) { (percent(share)) }
                    }
                }
            }
            @if v.goal > 0 {
                section #alerts aria-labelledby="h-alerts" {
                    h2 #h-alerts { "Goal emails" }
                    @if v.milestones.is_empty() {
                        p { "No milestone passed yet." }
                    } @else {
                        ul {
                            @for m in v.milestones {
                                li { (m.percent) "% of " (m.goal) " passed " (m.reached_at.format("%Y-%m-%d %H:%M UTC")) ", at " (m.count) " signatures" }
                            }
                        }
                    }
                    form method="post" action={ "/admin/campaigns/" (v.id) "/alerts" } {
                        (csrf_field(v.chrome.csrf))
                        @if v.alerts {
                            p { "You get an email at " strong { (v.chrome.email) } " as this petition passes 25, 50, 75 and 100% of its goal." }
                            input type="hidden" name="on" value="0";
                            button.secondary type="submit" { "Stop goal emails" }
                        } @else {
                            p { "Get an email at " strong { (v.chrome.email) } " as this petition passes 25, 50, 75 and 100% of its goal." }
                            input type="hidden" name="on" value="1";
                            button type="submit" { "Email me at each milestone" }
                        }
                    }
                    @if !v.sending {
                        p.hint { "This server has no mail server set up: emails are kept in the outbox for an admin to read." }
                    }
                }
            }
            section aria-labelledby="h-days" {
                h2 #h-days { "Signatures per day" }
                (bar_chart("days", "Signatures per day", "signatures", &f.days.iter().map(|c| Bar {
                    short: c.key.get(5..).unwrap_or(&c.key).to_owned(),
                    label: c.key.clone(),
                    value: c.signatures,
                }).collect::<Vec<_>>()))
                details {
                    summary { "Signatures per day as a table" }
                    (table("Signatures per day", &["Day", "Visits", "Signatures", "New supporters", "Spend", "Cost per signature"], f.days.iter().rev().map(|c| {
                        let line = day_lines.iter().find(|l| l.key == c.key);
                        vec![
                            c.key.clone(),
                            line.and_then(|l| l.visits).unwrap_or_default().to_string(),
                            c.signatures.to_string(),
                            c.new_supporters.to_string(),
                            line.and_then(|l| l.spend_cents).map(|s| amount(s, currency)).unwrap_or_default(),
                            line.and_then(|l| l.cost_per_signature()).map(|s| amount(s.round() as i64, currency)).unwrap_or_default(),
                        ]
                    })))
                }
            }
            section aria-labelledby="h-hours" {
                h2 #h-hours { "Signatures per hour, last " (HOURS) " hours" }
                (bar_chart("hours", "Signatures per hour", "signatures", &f.hours.iter().map(|c| Bar {
                    short: c.key.get(11..).map(|h| format!("{h}h")).unwrap_or_else(|| c.key.clone()),
                    label: c.key.replace('T', " ") + ":00",
                    value: c.signatures,
                }).collect::<Vec<_>>()))
                details {
                    summary { "Signatures per hour as a table" }
                    (table("Signatures per hour", &["Hour (UTC)", "Signatures", "New supporters"], f.hours.iter().rev().map(|c| vec![
                        c.key.replace('T', " ") + ":00",
                        c.signatures.to_string(),
                        c.new_supporters.to_string(),
                    ])))
                }
            }
            section aria-labelledby="h-ads" {
                h2 #h-ads { "What works: ads and posters" }
                @if v.report.mixed_currencies {
                    p.alert { "Spend was entered in several currencies (" (v.report.currency.as_deref().unwrap_or_default()) "), so costs are not added up." }
                }
                h3 { "By landing page" }
                (spend_table("By landing page", "Landing page", &lines("landing_page"), currency))
                h3 { "By ad campaign (utm_campaign)" }
                (spend_table("By ad campaign", "Campaign", &lines("utm_campaign"), currency))
                h3 { "By poster short code" }
                (table("By poster short code", &["Code", "Scans", "Signatures", "Signed per scan"], lines("short_code").iter().map(|l| vec![
                    l.key.clone(),
                    l.visits.unwrap_or_default().to_string(),
                    l.signatures.to_string(),
                    l.conversion().map(percent).unwrap_or_default(),
                ])))
            }
            section aria-labelledby="h-sources" {
                h2 #h-sources { "Where signers came from" }
                h3 { "By source" }
                (counts_table("By source", "Source", &f.sources, f.total.signatures))
                h3 { "By referrer network" }
                (counts_table("By referrer network", "Network", &referrer_networks(&f.referrers), f.total.signatures))
                h3 { "Share links, by network" }
                (table("Share links, by network", &["Network", "Clicks", "Signatures", "Signatures per click"], v.networks.iter().map(|n| vec![
                    n.key.clone(),
                    n.clicks.to_string(),
                    n.signatures.to_string(),
                    n.per_click().map(|x| format!("{x:.2}")).unwrap_or_default(),
                ])))
                @if !v.texts.is_empty() {
                    h3 { "Share texts" }
                    (table("Share texts", &["Text", "Live", "Clicks", "Signatures", "Signatures per click"], v.texts.iter().map(|t| vec![
                        if t.id.is_none() { "(the site's own wording)".to_owned() } else { t.text.clone() },
                        if t.live { "yes" } else { "no" }.to_owned(),
                        t.clicks.to_string(),
                        t.signatures.to_string(),
                        t.per_click().map(|x| format!("{x:.2}")).unwrap_or_default(),
                    ])))
                }
            }
            section aria-labelledby="h-regions" {
                h2 #h-regions { "By region" }
                p.hint { "Regions are the first characters of the postal code: a ZIP code's first three digits, a Canadian code's first three characters, a British postcode's area letters, elsewhere the first two." }
                (counts_table("By region", "Region", &f.regions, f.total.signatures))
            }
        }))
    }
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `share` as a percentage with one decimal.
fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn amount(cents: i64, currency: &str) -> String {
    if currency.is_empty() { money(cents) } else { format!("{} {currency}", money(cents)) }
}

/// A table of groups with their signatures and share of `total`.
fn counts_table(caption: &str, what: &str, counts: &[Count], total: i64) -> Markup {
    table(
        caption,
        &[what, "Signatures", "Share", "New supporters"],
        counts.iter().map(|c| {
            vec![
                if c.key.is_empty() { "(none)".to_owned() } else { c.key.clone() },
                c.signatures.to_string(),
                if total > 0 { percent(c.signatures as f64 / total as f64) } else { String::new() },
                c.new_supporters.to_string(),
            ]
        }),
    )
}

/// A table of report lines with visits, conversion and spend.
fn spend_table(caption: &str, what: &str, lines: &[&Line], currency: &str) -> Markup {
    let cost = |c: Option<f64>| c.map(|c| amount(c.round() as i64, currency)).unwrap_or_default();
    table(
        caption,
        &[
            what,
            "Visits",
            "Signatures",
            "Signed per visit",
            "Spend",
            "Cost per signature",
            "Cost per new supporter",
        ],
        lines.iter().map(|l| {
            vec![
                l.key.clone(),
                l.visits.unwrap_or_default().to_string(),
                l.signatures.to_string(),
                l.conversion().map(percent).unwrap_or_default(),
                l.spend_cents.map(|s| amount(s, currency)).unwrap_or_default(),
                cost(l.cost_per_signature()),
                cost(l.cost_per_new_supporter()),
            ]
        }),
    )
}

/// A table with a caption (said by screen readers), scrolling sideways on a narrow screen; its
/// first column names each row. “None yet.” when there are no rows.
fn table(caption: &str, headers: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Markup {
    let rows: Vec<Vec<String>> = rows.collect();
    html! {
        @if rows.is_empty() {
            p { "None yet." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label={ "Table: " (caption) } {
                table.figures {
                    caption.visually-hidden { (caption) }
                    thead { tr { @for h in headers { th scope="col" { (h) } } } }
                    tbody {
                        @for row in &rows {
                            tr {
                                @for (i, cell) in row.iter().enumerate() {
                                    @if i == 0 { th scope="row" { (cell) } } @else { td { (cell) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Referrer hosts folded into the networks people know (every Facebook host is Facebook);
/// other hosts as they are.
fn referrer_networks(referrers: &[Count]) -> Vec<Count> {
    let mut folded: Vec<Count> = Vec::new();
    for c in referrers {
        let key = if c.key.is_empty() {
            "(none: typed, bookmarked or an app)".to_owned()
        } else {
            network_of(&c.key).map_or_else(|| c.key.clone(), str::to_owned)
        };
        match folded.iter_mut().find(|f| f.key == key) {
            Some(f) => {
                f.signatures += c.signatures;
                f.new_supporters += c.new_supporters;
            }
            None => folded.push(Count { key, ..c.clone() }),
        }
    }
    folded.sort_by(|a, b| b.signatures.cmp(&a.signatures).then_with(|| a.key.cmp(&b.key)));
    folded
}

/// The network a referring host belongs to, if it is a well-known one.
fn network_of(host: &str) -> Option<&'static str> {
    let host = host.trim_start_matches("www.");
    let is = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    const NETWORKS: [(&str, &[&str]); 13] = [
        ("Facebook", &["facebook.com", "fb.com", "fb.me"]),
        ("Instagram", &["instagram.com"]),
        ("X", &["x.com", "twitter.com", "t.co"]),
        ("WhatsApp", &["whatsapp.com", "wa.me"]),
        ("Telegram", &["t.me", "telegram.org"]),
        ("Bluesky", &["bsky.app"]),
        ("Threads", &["threads.net", "threads.com"]),
        ("LinkedIn", &["linkedin.com", "lnkd.in"]),
        ("Reddit", &["reddit.com"]),
        ("TikTok", &["tiktok.com"]),
        ("YouTube", &["youtube.com", "youtu.be"]),
        ("Bing", &["bing.com"]),
        ("Email", &["mail.google.com", "outlook.live.com", "mail.yahoo.com"]),
    ];
    if host.starts_with("google.") || host.contains(".google.") && !host.starts_with("mail.") {
        return Some("Google");
    }
    NETWORKS.iter().find(|(_, domains)| domains.iter().any(|d| is(d))).map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_fold_into_networks() {
        let c = |key: &str, n| Count { key: key.into(), signatures: n, new_supporters: 0 };
        let folded = referrer_networks(&[
            c("l.facebook.com", 2),
            c("m.facebook.com", 3),
            c("t.co", 1),
            c("example.org", 4),
            c("", 5),
            c("www.google.com", 1),
        ]);
        let shown: Vec<(&str, i64)> = folded.iter().map(|c| (c.key.as_str(), c.signatures)).collect();
        assert_eq!(
            shown,
            [
                ("(none: typed, bookmarked or an app)", 5),
                ("Facebook", 5),
                ("example.org", 4),
                ("Google", 1),
                ("X", 1)
            ]
        );
        assert_eq!(network_of("notfacebook.com"), None);
        assert_eq!(network_of("mail.google.com"), Some("Email"));
    }
}
