//! Paper signatures: sign-up sheets entered signer by signer, checked against online signers
//! (by email, or by name and postal code), counted and delivered like the rest with source
//! `paper`; a batch with a mistake is refused whole, keeping what was typed.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::{
    admin::{account, audit_actions, get, location, submit},
    deliveries::{letter_asking, signer},
    helpers::{TestApp, spawn_app},
};

/// The number a query selects as `n`.
pub(crate) async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .read
        .query_one_raw(Statement::from_string(app.db.backend(), sql.to_owned()))
        .await
        .expect("query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("a number")
}

#[tokio::test]
async fn paper_signers_count_once_and_are_delivered_like_the_rest() {
    let app = spawn_app().await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_asking(&app, &organizer, "safe-staffing").await;
    for s in [
        signer("ana@example.org", "Ana", "Ruiz", "3 West", true).with("postal_code", "10001"),
        signer("bo@example.org", "Bo", "Lee", "ICU", false).with("postal_code", "94110"),
    ] {
        assert_eq!(app.sign_fresh("safe-staffing", &s).await.status(), StatusCode::SEE_OTHER);
    }
    let page = format!("/admin/campaigns/{id}/paper");
    let (status, html) = get(&organizer, &app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("None yet.") && html.contains(r#"name="r9_given_name""#), "{html}");

    // A batch with mistakes: refused whole, with each mistake beside its cell and what was typed.
    let bad = [
        ("source", ""),
        ("collected_on", "2026-11-20"),
        ("rows", "10"),
        ("r0_given_name", "Carmen"),
        ("r0_family_name", "Díaz"),
        ("r0_email", "carmen-at-example"),
        ("r1_given_name", "Dee"),
        ("r1_family_name", "Park"),
    ];
    let res = submit(&organizer, &app, &page, &page, &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(html.contains("Nothing was entered."), "{html}");
    assert!(html.contains(r#"id="e-source""#) && html.contains(r#"id="e-r0_email""#), "{html}");
    assert!(html.contains("An email address or a postal code is needed"), "{html}");
    assert!(html.contains(r#"value="carmen-at-example""#) && html.contains(r#"value="Díaz""#), "{html}");
    assert_eq!(app.rows(id).await, 2, "nothing stored");
    // More rows, keeping what was typed.
    let mut more = bad.to_vec();
    more.push(("more", "1"));
    let res = submit(&organizer, &app, &page, &page, &more).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("page");
    assert!(html.contains(r#"name="r19_given_name""#) && html.contains(r#"value="Dee""#), "{html}");
    assert!(!html.contains("Nothing was entered."), "{html}");

    // The batch: three already signed online (by name and postal code, twice; by email), one
    // repeats an earlier row, three are new (one pasted).
    let good = [
        ("source", "Cafeteria table, St Mary's"),
        ("collected_on", "2026-11-20"),
        ("rows", "20"),
        ("r0_given_name", "ANA"),
        ("r0_family_name", "ruiz"),
        ("r0_postal_code", "10001"),
        ("r1_given_name", "Robert"),
        ("r1_family_name", "Lee"),
        ("r1_email", "BO@example.org"),
        ("r2_given_name", "Carmen"),
        ("r2_family_name", "Díaz"),
        ("r2_postal_code", "94110"),
        ("r2_worksite", "3 West"),
        ("r2_public_name", "1"),
        ("r3_given_name", "Dee"),
        ("r3_family_name", "Park"),
        ("r3_email", "dee@example.org"),
        ("r3_email_opt_in", "1"),
        ("r5_given_name", "carmen"),
        ("r5_family_name", "DÍAZ"),
        ("r5_postal_code", "94110"),
        // Ana again, as a sheet has her: an accent, ZIP+4.
        ("r6_given_name", "Ána"),
        ("r6_family_name", "Ruíz"),
        ("r6_postal_code", "10001-2345"),
        ("pasted", "Given name\tFamily name\tPostal code\nEli\tStonebridge\t60601\n"),
    ];
    let res = submit(&organizer, &app, &page, &page, &good).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{page}#batches"));
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("Batch entered"), "{html}");
    assert!(
        html.contains("<td>2026-11-20</td><td>Cafeteria table, St Mary's</td><td>7</td><td>3</td><td>4</td>"),
        "{html}"
    );
    assert_eq!(app.count("safe-staffing").await, 5);
    assert_eq!(app.aggregates(id).await, 5);
    let paper = "SELECT COUNT(*) AS n FROM signatures WHERE source = 'paper' AND paper_batch_id IS NOT NULL";
    assert_eq!(scalar(&app, paper).await, 3);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE email = '' AND email_opt_in").await,
        0
    );
    assert!(audit_actions(&app).await.iter().any(|(_, a, _)| a == "paper.entered"));
    // The same sheet entered twice counts nothing more.
    let res = submit(&organizer, &app, &page, &page, &good).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("safe-staffing").await, 5);

    // A paper signer who signs online later counts once: the paper entry stops counting, as an
    // invalidation staff could restore.
    let eli = signer("eli@example.org", "Eli", "Stonebridge", "ICU", false).with("postal_code", "60601");
    assert_eq!(app.sign_fresh("safe-staffing", &eli).await.status(), StatusCode::SEE_OTHER);
    let other = signer("fay@example.org", "Fay", "Stonebridge", "ICU", false).with("postal_code", "60601");
    assert_eq!(app.sign_fresh("safe-staffing", &other).await.status(), StatusCode::SEE_OTHER);
    // (The check looks at signatures a minute old.)
    let later = chrono::Utc::now() + chrono::Duration::seconds(undersigned::db::paper::SETTLED_S + 1);
    undersigned::db::paper::check_later_online(&app.db, later).await.expect("checked");
    assert_eq!(app.recount(id).await, 6, "Eli once, Fay (another name) too");
    assert_eq!(app.aggregates(id).await, 6);
    let stopped =
        "SELECT COUNT(*) AS n FROM signatures WHERE paper_batch_id IS NOT NULL AND status = 'invalidated'";
    assert_eq!(scalar(&app, stopped).await, 1);
    let reason = "SELECT COUNT(*) AS n FROM signature_actions WHERE actor = 'paper check' AND changed = 1";
    assert_eq!(scalar(&app, reason).await, 1);
    // Looked at once.
    undersigned::db::paper::check_later_online(&app.db, later).await.expect("checked");
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM signature_actions").await, 1);

    // Delivered like the rest: the paper signer who agreed is named, the one who did not is not.
    let deliveries = format!("/admin/campaigns/{id}/deliveries");
    let res = submit(&organizer, &app, &deliveries, &deliveries, &[("r0", "1"), ("name", "1")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);
    let html = app.get(&record).await.text().await.expect("page");
    assert!(html.contains("6 signatures as of"), "{html}");
    let list = app.get(&format!("{record}/signers.csv")).await.text().await.expect("list");
    assert!(list.contains("Carmen Díaz") && list.contains("Ana Ruiz"), "{list}");
    assert!(!list.contains("Stonebridge") && !list.contains("Park") && !list.contains("Lee"), "{list}");

    // Viewers cannot enter paper signatures.
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    assert_eq!(get(&viewer, &app, &page).await.0, StatusCode::FORBIDDEN);
}
