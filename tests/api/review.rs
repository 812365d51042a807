//! The abuse review page: the busiest networks and email domains per hour, notices past the
//! thresholds, links to the previews that act on them, and whether the count agrees with a
//! recount.

use reqwest::StatusCode;

use crate::{
    admin::{account, get},
    confirm::exec,
    helpers::{Signer, spawn_app_with},
    paper::scalar,
};

#[tokio::test]
async fn the_review_page_shows_bursts_per_hour_raises_notices_and_drift() {
    let app = spawn_app_with(&[("REVIEW_NETWORK_PER_HOUR", "5"), ("REVIEW_DOMAIN_PER_HOUR", "4")]).await;
    let id = app.open_petition("watched").await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let path = format!("/admin/campaigns/{id}/review");
    let (status, page) = get(&organizer, &app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("No hour in which one network signed 5 times or more")
            && page.contains("None in this time.")
    );
    // Six from this machine's one network: four from one small domain, two from a large provider.
    for i in 0..6 {
        let email = if i < 4 { format!("p{i}@farm.example") } else { format!("p{i}@gmail.com") };
        assert_eq!(app.sign_fresh("watched", &Signer::new(&email)).await.status(), StatusCode::SEE_OTHER);
    }
    let (_, page) = get(&organizer, &app, &path).await;
    assert!(page.contains("6 signatures from the network"), "{page}");
    assert!(page.contains("4 signatures from the email domain farm.example"), "{page}");
    assert!(!page.contains("gmail.com"), "large providers are left out");
    assert!(page.contains("agrees with the validated signatures"), "{page}");
    // The network's row links to the invalidation preview of exactly those signatures.
    let link = page.split("/invalidate?network=").nth(1).expect("a link").split('"').next().expect("a query");
    let preview =
        format!("/admin/campaigns/{id}/signatures/invalidate?network={}", link.replace("&amp;", "&"));
    let (status, shown) = get(&organizer, &app, &preview).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(shown.contains("6 signatures match"), "{shown}");

    // Older than the window: not in the last 6 hours, but in the last 7 days.
    crate::letters::signed_at(&app, chrono::Utc::now() - chrono::Duration::days(3)).await;
    let (_, page) = get(&organizer, &app, &format!("{path}?hours=6")).await;
    assert!(
        page.contains("0 signatures looked at") && page.contains(r#"<option value="6" selected>"#),
        "{page}"
    );
    let (_, page) = get(&organizer, &app, &format!("{path}?hours=168")).await;
    assert!(page.contains("6 signatures from the network"), "{page}");
    // An unknown choice is the default.
    let (status, page) = get(&organizer, &app, &format!("{path}?hours=100000")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"<option value="48" selected>"#));

    // A row deleted behind the tally's back: the page says the count drifts.
    exec(&app, "DELETE FROM signatures WHERE email = 'p0@farm.example'").await;
    let (_, page) = get(&organizer, &app, &path).await;
    assert!(page.contains("does not agree") && page.contains("undersigned recount --fix"), "{page}");

    let viewer = account(&app, "viewer@example.org", "viewer").await;
    assert_eq!(get(&viewer, &app, &path).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&organizer, &app, "/admin/campaigns/999/review").await.0, StatusCode::NOT_FOUND);
}

/// A burst past a threshold is emailed to every organizer and admin (not viewers) once for its
/// hour, with counts only and a link to the review page, however many processes look; another
/// hour's notice reaches only those who did not stop them. The looks are made at set times.
#[tokio::test]
async fn notices_are_emailed_to_organizers_and_admins_once_an_hour() {
    use chrono::{DateTime, Duration, Utc};
    use undersigned::{domain::review::Thresholds, notices};

    let app = spawn_app_with(&[]).await;
    let id = app.open_petition("watched").await;
    account(&app, "admin@example.org", "admin").await;
    account(&app, "org@example.org", "organizer").await;
    account(&app, "viewer@example.org", "viewer").await;
    let thresholds = Thresholds { network: 3, domain: 3 };
    let wake = tokio::sync::Notify::new();
    let url = "http://localhost:3000";
    // Signed at 10:10 on a day long past, looked at from 10:20.
    let ten = DateTime::<Utc>::from_timestamp(1_790_000_000 / 3600 * 3600, 0).expect("a time");
    let notices = "SELECT COUNT(*) AS n FROM emails WHERE kind = 'review.notice'";
    let sign = async |i: usize| {
        let signer = Signer::new(&format!("p{i}@farm.example"));
        assert_eq!(app.sign_fresh("watched", &signer).await.status(), StatusCode::SEE_OTHER);
        crate::letters::signed_at(&app, ten + Duration::minutes(10)).await;
    };
    // Under both thresholds: nothing.
    for i in 0..2 {
        sign(i).await;
    }
    notices::send(&app.db, thresholds, url, &wake, ten + Duration::minutes(20)).await;
    assert_eq!(scalar(&app, notices).await, 0);
    // The third from this machine's network and this domain: one email to each of the two,
    // though two processes look at the same moment.
    sign(2).await;
    let at = ten + Duration::minutes(20);
    tokio::join!(
        notices::send(&app.db, thresholds, url, &wake, at),
        notices::send(&app.db, thresholds, url, &wake, at)
    );
    assert_eq!(scalar(&app, notices).await, 2);
    // More in the same hour, looked at again later in it: nothing new.
    for i in 3..5 {
        sign(i).await;
    }
    notices::send(&app.db, thresholds, url, &wake, ten + Duration::minutes(50)).await;
    assert_eq!(scalar(&app, notices).await, 2, "once for the hour");
    let sent = emails(&app).await;
    assert_eq!(
        sent.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["admin@example.org", "org@example.org"]
    );
    let text = &sent[1].1;
    assert!(
        text.contains("3 signatures from one network (a notice at 3): 3 counted, 0 held")
            && text.contains("3 signatures from one email domain (a notice at 3): ")
            && text.contains(&format!("http://localhost:3000/admin/campaigns/{id}/review")),
        "{text}"
    );
    assert!(!text.contains("farm.example") && !text.contains("p0@"), "counts only: {text}");
    // The organizer stops them (a mail program's one-click).
    let start = text.find("http://localhost:3000/unsubscribe/").expect("a link to stop them");
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let res = crate::mail::one_click(&app, &link).await;
    assert_eq!(res.status(), StatusCode::OK);
    // The same five at 11:05, looked at from 11:30: that hour's notice, to the admin alone.
    crate::letters::signed_at(&app, ten + Duration::minutes(65)).await;
    notices::send(&app.db, thresholds, url, &wake, ten + Duration::minutes(90)).await;
    assert_eq!(scalar(&app, notices).await, 3);
    assert_eq!(emails(&app).await[2].0, "admin@example.org");
    // Two hours on, nothing is looked at any more.
    notices::send(&app.db, thresholds, url, &wake, ten + Duration::minutes(250)).await;
    let recorded = format!("SELECT COUNT(*) AS n FROM review_notices WHERE petition_id = {id}");
    assert_eq!(scalar(&app, &recorded).await, 2);
}

/// Review notice emails in the order written: address and text.
async fn emails(app: &crate::helpers::TestApp) -> Vec<(String, String)> {
    use entity::email;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    email::Entity::find()
        .filter(email::Column::Kind.eq("review.notice"))
        .order_by_asc(email::Column::Id)
        .all(&app.db.read)
        .await
        .expect("emails")
        .into_iter()
        .map(|e| (e.to_address, e.text_body))
        .collect()
}

/// A server whose review notices, at a threshold of three, are looked for every 1.2 s, with
/// three signatures from this machine's network and one domain in the same hour, and an admin
/// to tell.
async fn three_from_one_network(setting: &str) -> (crate::helpers::TestApp, i64, reqwest::Client) {
    use chrono::{Timelike, Utc};
    let app = spawn_app_with(&[
        ("REVIEW_NETWORK_PER_HOUR", "3"),
        ("REVIEW_DOMAIN_PER_HOUR", "3"),
        ("GOAL_CHECK_MS", "100"),
        ("REVIEW_NOTICE_EMAILS", setting),
    ])
    .await;
    let id = app.open_petition("watched").await;
    let admin = account(&app, "admin@example.org", "admin").await;
    // Three signatures split over two hours raise no notice: not within the hour's last seconds.
    let now = Utc::now();
    if now.minute() == 59 && now.second() >= 45 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - now.second()))).await;
    }
    for i in 0..3 {
        let signer = Signer::new(&format!("p{i}@farm.example"));
        assert_eq!(app.sign_fresh("watched", &signer).await.status(), StatusCode::SEE_OTHER);
    }
    (app, id, admin)
}

const NOTICES: &str = "SELECT COUNT(*) AS n FROM emails WHERE kind = 'review.notice'";

/// Each server looks for notices by itself, and emails them.
#[tokio::test]
async fn the_server_emails_notices_by_itself() {
    let (app, id, admin) = three_from_one_network("true").await;
    crate::mail::eventually("a notice is emailed", || async { scalar(&app, NOTICES).await == 1 }).await;
    let (status, page) = get(&admin, &app, &format!("/admin/campaigns/{id}/review")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 signatures from the network"), "{page}");
}

/// With `REVIEW_NOTICE_EMAILS=false` a server emails none, and the review page still shows
/// them.
#[tokio::test]
async fn review_notice_emails_can_be_turned_off() {
    use undersigned::{domain::review::Thresholds, notices};
    let (app, id, admin) = three_from_one_network("false").await;
    // Five looks' time.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert_eq!(scalar(&app, NOTICES).await, 0, "told not to");
    let (status, page) = get(&admin, &app, &format!("/admin/campaigns/{id}/review")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 signatures from the network"), "{page}");
    // A look of its own would have emailed: the setting is why none was.
    let wake = tokio::sync::Notify::new();
    let thresholds = Thresholds { network: 3, domain: 3 };
    notices::send(&app.db, thresholds, "http://localhost:3000", &wake, chrono::Utc::now()).await;
    assert_eq!(scalar(&app, NOTICES).await, 1);
}
