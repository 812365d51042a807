//! The abuse review page: the busiest networks and email domains per hour, notices past the
//! thresholds, links to the previews that act on them, and whether the count agrees with a
//! recount.

use reqwest::StatusCode;

use crate::{
    admin::{account, get},
    confirm::exec,
    helpers::{Signer, spawn_app_with},
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
