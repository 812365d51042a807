//! Review notices by email: when one network or one email domain signs a campaign past its
//! hourly threshold (`REVIEW_NETWORK_PER_HOUR`, `REVIEW_DOMAIN_PER_HOUR`), the campaign's
//! organizers and admins are told once for that hour, with counts only, and pointed to the
//! review page, where a person decides whether it is a script or a hospital's Wi-Fi.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use maud::html;
use sea_orm::TransactionTrait;
use tokio::sync::Notify;

use crate::{
    db::{Database, mail::NewEmail, review},
    domain::review::{By, Group, Thresholds},
};

/// The kind of a review notice email.
pub const REVIEW_NOTICE: &str = "review.notice";

/// Signatures looked at per campaign, the newest first. A notice needs only the newest: a
/// burst shows among them.
const MAX_SEEN: usize = 10_000;

/// Looks at the signatures of the last hour and this one of every open campaign signed in
/// that time, and writes a notice for each hour past a threshold not noticed before. Each
/// hour is recorded in the transaction that writes its emails, so it is told once however
/// many processes look.
pub async fn send(
    db: &Database,
    thresholds: Thresholds,
    public_url: &str,
    wake: &Notify,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let hour = now.timestamp().div_euclid(3600) * 3600;
    let since = DateTime::from_timestamp(hour, 0).unwrap_or(now) - Duration::hours(1);
    for (petition_id, title) in review::open_signed_since(&db.read, since).await? {
        let seen = review::recent(&db.read, petition_id, since, MAX_SEEN).await?;
        let found = crate::domain::review::review(&seen, thresholds, crate::limits::is_common_provider, 0);
        let mut hours: BTreeMap<DateTime<Utc>, Vec<Group>> = BTreeMap::new();
        for g in found.notices {
            hours.entry(g.hour).or_default().push(g);
        }
        for (hour, groups) in hours {
            let count =
                |by: By| i32::try_from(groups.iter().filter(|g| g.by == by).count()).unwrap_or(i32::MAX);
            let txn = db.write.begin().await?;
            if !review::record_notice(&txn, petition_id, hour, (count(By::Network), count(By::Domain)), now)
                .await?
            {
                continue;
            }
            let emails = review::notice_recipients(&txn, petition_id, REVIEW_NOTICE)
                .await?
                .into_iter()
                .map(|to| notice_email(petition_id, &title, hour, &groups, thresholds, to, public_url))
                .collect();
            let ids = crate::db::mail::enqueue(&txn, emails, now).await?;
            txn.commit().await?;
            tracing::info!(petition = petition_id, %hour, "a review notice was raised");
            crate::mail::written(&ids, REVIEW_NOTICE, wake);
        }
    }
    Ok(())
}

/// The email telling `to` of the notices of one hour: how many signed from each source past
/// its threshold and what became of them, never which network or domain (the review page
/// shows those to staff who sign in).
fn notice_email(
    petition_id: i64,
    title: &str,
    hour: DateTime<Utc>,
    groups: &[Group],
    thresholds: Thresholds,
    to: String,
    public_url: &str,
) -> NewEmail {
    let title = crate::views::admin::title_or_untitled(title);
    let review = format!("{public_url}/admin/campaigns/{petition_id}/review");
    let when = hour.format("%Y-%m-%d, %H:00 UTC").to_string();
    let lines: Vec<String> = groups
        .iter()
        .map(|g| {
            let (source, threshold) = match g.by {
                By::Network => ("one network", thresholds.network),
                By::Domain => ("one email domain", thresholds.domain),
            };
            format!(
                "{} signatures from {source} (a notice at {threshold}): {} counted, {} held, {} waiting for confirmation",
                g.signatures, g.validated, g.held, g.pending
            )
        })
        .collect();
    let why = "This can be a script, or many people on one site's Wi-Fi (a hospital, a union hall). \
               Nothing was removed: look at the review page, hold or invalidate what is not real, \
               and mark a real shared site there.";
    let footer = "You get this email as an organizer or admin of this campaign.";
    let token = crate::domain::staff::new_token();
    let stop = format!("{public_url}/unsubscribe/{token}");
    let mut text = format!("{title}: signing to look at in the hour from {when}.\n\n");
    for line in &lines {
        text.push_str(&format!("- {line}\n"));
    }
    text.push_str(&format!("\n{why}\n\nReview: {review}\n\n-- \n{footer}\nTo stop these notices: {stop}\n"));
    let html = html! {
        p { strong { (title) } ": signing to look at in the hour from " (when) "." }
        ul { @for line in &lines { li { (line) } } }
        p { (why) }
        p { a href=(review) { "Open the review page" } }
        hr;
        p style="color:#555;font-size:90%" { (footer) " " a href=(stop) { "Stop these notices" } }
    }
    .into_string();
    NewEmail {
        kind: REVIEW_NOTICE,
        petition_id: Some(petition_id),
        to,
        subject: format!("“{title}”: signing to look at, {when}"),
        text,
        html: Some(html),
        delivery_id: None,
        unsubscribe_token: Some(token),
    }
}
