//! Review notices by email: when one network or one email domain signs a campaign past its
//! hourly threshold (`REVIEW_NETWORK_PER_HOUR`, `REVIEW_DOMAIN_PER_HOUR`), the server's
//! organizers and admins are told once for that hour, with counts only, and pointed to the
//! review page, where a person decides whether it is a script or a hospital's Wi-Fi.

use std::{collections::BTreeMap, sync::Arc};

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

/// Signatures looked at per campaign, the newest first. A burst shows among the newest; on a
/// campaign signed faster than this in two hours, only the newest are looked at (the review
/// page reads up to 200,000).
const MAX_SEEN: usize = 2_000;

/// Looks for review notices every `every` until the task is ended.
pub async fn watch(
    db: Database,
    thresholds: Thresholds,
    every: std::time::Duration,
    public_url: String,
    wake: Arc<Notify>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        send(&db, thresholds, &public_url, &wake, Utc::now()).await;
    }
}

/// Looks at the signatures of the last hour and this one of every open campaign signed in
/// that time, and writes a notice for each hour past a threshold not noticed before. Each
/// hour is recorded in the transaction that writes its emails, so it is told once however
/// many processes look. A campaign that cannot be looked at is logged and passed over.
pub async fn send(
    db: &Database,
    thresholds: Thresholds,
    public_url: &str,
    wake: &Notify,
    now: DateTime<Utc>,
) {
    let this_hour = DateTime::from_timestamp(now.timestamp().div_euclid(3600) * 3600, 0).unwrap_or(now);
    let since = this_hour - Duration::hours(1);
    let open = match review::open_signed_since(&db.read, since).await {
        Ok(open) => open,
        Err(e) => {
            tracing::warn!(error = %crate::error::chain(&e), "looking for review notices failed");
            return;
        }
    };
    for (petition_id, title) in open {
        let campaign = Campaign { petition_id, title: &title, thresholds, public_url };
        if let Err(e) = look_at(db, &campaign, since, wake, now).await {
            tracing::warn!(
                error = %crate::error::chain(&e),
                petition = petition_id,
                "looking for a campaign's review notices failed"
            );
        }
    }
}

/// What a notice is about.
struct Campaign<'a> {
    petition_id: i64,
    title: &'a str,
    thresholds: Thresholds,
    public_url: &'a str,
}

async fn look_at(
    db: &Database,
    c: &Campaign<'_>,
    since: DateTime<Utc>,
    wake: &Notify,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let seen = review::recent(&db.read, c.petition_id, since, MAX_SEEN).await?;
    let found = crate::domain::review::review(&seen, c.thresholds, crate::limits::is_common_provider, 0);
    if found.notices.is_empty() {
        return Ok(());
    }
    let told = review::noticed_since(&db.read, c.petition_id, since).await?;
    let mut hours: BTreeMap<DateTime<Utc>, Vec<Group>> = BTreeMap::new();
    for g in found.notices.into_iter().filter(|g| !told.contains(&g.hour)) {
        hours.entry(g.hour).or_default().push(g);
    }
    for (hour, groups) in hours {
        let count = |by: By| i32::try_from(groups.iter().filter(|g| g.by == by).count()).unwrap_or(i32::MAX);
        let txn = db.write.begin().await?;
        // Another process told it meanwhile.
        if !review::record_notice(&txn, c.petition_id, hour, (count(By::Network), count(By::Domain)), now)
            .await?
        {
            txn.rollback().await?;
            continue;
        }
        let emails = review::notice_recipients(&txn, c.petition_id, REVIEW_NOTICE)
            .await?
            .into_iter()
            .map(|to| notice_email(c, hour, &groups, to))
            .collect();
        let ids = crate::db::mail::enqueue(&txn, emails, now).await?;
        txn.commit().await?;
        tracing::info!(petition = c.petition_id, %hour, "a review notice was raised");
        crate::mail::written(&ids, REVIEW_NOTICE, wake);
    }
    Ok(())
}

/// The email telling `to` of the notices of one hour: how many signed from each source past
/// its threshold and what became of them, never which network or domain (the review page
/// shows those to staff who sign in).
fn notice_email(c: &Campaign<'_>, hour: DateTime<Utc>, groups: &[Group], to: String) -> NewEmail {
    let (petition_id, thresholds, public_url) = (c.petition_id, c.thresholds, c.public_url);
    let title = crate::views::admin::title_or_untitled(c.title);
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
    let footer = format!("You get this email as an organizer or admin at {public_url}.");
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
