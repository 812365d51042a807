//! The organizer dashboard: on a fixture with known numbers per day, source, campaign, poster
//! and region, its figures agree with the report, `count.json` and a recount, and stay in step
//! as signatures are invalidated and restored.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::{
    admin::{account, get},
    helpers::{Signer, spawn_app},
    report::{fixture, write},
};

/// The cells of the table row headed `head` in the table captioned `caption`.
fn row(page: &str, caption: &str, head: &str) -> Vec<String> {
    let table = page
        .split(&format!(r#"<caption class="visually-hidden">{caption}</caption>"#))
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("a table {caption}: {page}"));
    let tr = table
        .split("<tr>")
        .find(|r| r.starts_with(&format!(r#"<th scope="row">{head}</th>"#)))
        .unwrap_or_else(|| panic!("a row {head} in {caption}: {table}"));
    tr.split("<td>").skip(1).map(|c| c.split("</td>").next().unwrap_or_default().to_owned()).collect()
}

#[tokio::test]
async fn the_dashboard_agrees_with_the_report_the_count_and_a_recount() {
    let app = spawn_app().await;
    let today = fixture(&app).await;
    let file = write(
        "dash.csv",
        format!("Day,Campaign name,Amount spent (USD),Impressions,Link clicks\n{today},nov,20.00,1000,50\n")
            .as_bytes(),
    );
    assert!(app.cli(&["spend", "import", file.to_str().expect("a path")]).status.success());
    // Two more from elsewhere: a shared WhatsApp link and a Facebook referrer, in other regions.
    let id = app.petition_id("cps").await;
    let shared = Signer::new("w@example.org").with("source", "share-whatsapp").with("postal_code", "10001");
    assert_eq!(app.sign_fresh("cps", &shared).await.status(), StatusCode::SEE_OTHER);
    let referred =
        Signer::new("f@example.org").with("referrer", "l.facebook.com").with("postal_code", "10002");
    assert_eq!(app.sign_fresh("cps", &referred).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.aggregates(id).await, 8);
    assert_eq!(app.count("cps").await, 8);

    // A viewer sees it: figures, never a person.
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let path = format!("/admin/campaigns/{id}/dashboard");
    let (status, page) = get(&viewer, &app, &path).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    for personal in ["a@example.org", "returning@", "w@example.org", "Ruiz", "94110"] {
        assert!(!page.contains(personal), "no personal data: {personal} in {page}");
    }
    for stat in [
        r#"<span class="figure">8</span> signatures"#,
        r#"<span class="figure">8</span> today"#,
        r#"<span class="figure">8</span> in the last 7 days"#,
        r#"<span class="figure">7</span> new supporters, 1 who signed before"#,
        r#"<span class="figure">50</span> landing page visits, 16.0% of them signed"#,
    ] {
        assert!(page.contains(stat), "{stat}: {page}");
    }
    assert!(page.contains("Goal: 8 of 1000 (0.8%)"), "{page}");
    assert!(page.contains(r#"<svg class="chart" role="img""#), "{page}");
    assert_eq!(row(&page, "Signatures per day", &today), ["50", "8", "7", "20.00 USD", "2.50 USD"]);
    assert_eq!(
        row(&page, "By ad campaign", "nov"),
        ["20", "4", "20.0%", "20.00 USD", "5.00 USD", "6.67 USD"]
    );
    assert_eq!(row(&page, "By landing page", "ad-r"), ["50", "6", "12.0%", "", "", ""]);
    assert_eq!(row(&page, "By poster short code", "wall2"), ["10", "2", "20.0%"]);
    assert_eq!(row(&page, "By source", "meta"), ["4", "50.0%", "3"]);
    assert_eq!(row(&page, "By source", "qr-wall2"), ["2", "25.0%", "2"]);
    assert_eq!(row(&page, "By referrer network", "Facebook"), ["1", "12.5%", "1"]);
    assert_eq!(row(&page, "Share links, by network", "whatsapp"), ["0", "1", ""]);
    assert_eq!(row(&page, "By region", "941"), ["6", "75.0%", "0"]);
    assert_eq!(row(&page, "By region", "100"), ["2", "25.0%", "0"]);

    // Invalidated signatures leave every figure; restored, they come back.
    let organizer = account(&app, "org@example.org", "organizer").await;
    let list = format!("/admin/campaigns/{id}/signatures");
    let (_, preview) = get(&organizer, &app, &format!("{list}/invalidate?source=meta")).await;
    assert!(preview.contains("4 signatures match"), "{preview}");
    let res = crate::admin::submit(
        &organizer,
        &app,
        &format!("{list}/invalidate?source=meta"),
        &format!("{list}/invalidate"),
        &[("source", "meta"), ("expected", "4"), ("reason", "test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.aggregates(id).await, 4);
    let (_, page) = get(&viewer, &app, &path).await;
    assert!(page.contains(r#"<span class="figure">4</span> today"#), "{page}");
    assert!(!page.contains(r#"<th scope="row">meta</th>"#), "{page}");
    assert_eq!(row(&page, "By region", "941"), ["2", "50.0%", "0"]);
    let (_, listed) = get(&organizer, &app, &list).await;
    let restore = listed
        .split("/invalidations/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("an invalidation to restore")
        .to_owned();
    let res = crate::admin::submit(
        &organizer,
        &app,
        &list,
        &format!("/admin/campaigns/{id}/invalidations/{restore}/restore"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.aggregates(id).await, 8);
    let (_, page) = get(&viewer, &app, &path).await;
    assert_eq!(row(&page, "By source", "meta"), ["4", "50.0%", "3"]);

    // The list of campaigns shows today's and the week's figures and the way to each dashboard.
    let (_, home) = get(&viewer, &app, "/admin").await;
    assert!(home.contains(&format!(r#"href="{path}""#)), "{home}");
    assert!(home.contains("<td>8</td><td>8</td><td>8</td><td>1000 (1%)</td>"), "{home}");
}

#[tokio::test]
async fn aggregates_are_made_from_the_signatures_stored_when_a_migration_asks() {
    let app = spawn_app().await;
    let id = app.open_petition("older").await;
    for email in ["a@example.org", "b@example.org", "c@example.org"] {
        assert_eq!(app.sign_fresh("older", &Signer::new(email)).await.status(), StatusCode::SEE_OTHER);
    }
    // As a database from before the aggregates: none kept, and the migration's request.
    app.db.write.execute_unprepared("DELETE FROM signature_counts").await.expect("emptied");
    app.db.write.execute_unprepared("DELETE FROM signature_regions").await.expect("emptied");
    app.db
        .write
        .execute_unprepared("INSERT INTO settings (key, value) VALUES ('rebuild_signature_counts', '1')")
        .await
        .expect("asked");
    app.db.migrate().await.expect("migrated");
    assert_eq!(app.aggregates(id).await, 3);
    let asked = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            "SELECT COUNT(*) AS n FROM settings WHERE key = 'rebuild_signature_counts'".to_owned(),
        ))
        .await
        .expect("query")
        .and_then(|r| r.try_get::<i64>("", "n").ok());
    assert_eq!(asked, Some(0), "done once");
}

#[tokio::test]
async fn an_unknown_campaign_has_no_dashboard() {
    let app = spawn_app().await;
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    for path in
        ["/admin/campaigns/999/dashboard", "/admin/campaigns/abc/dashboard", "/admin/campaigns/-1/dashboard"]
    {
        assert_eq!(get(&viewer, &app, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn regions_are_counted_again_when_the_postal_country_changes() {
    let app = spawn_app().await;
    let id = app.open_petition("moved").await;
    for email in ["a@example.org", "b@example.org"] {
        assert_eq!(app.sign_fresh("moved", &Signer::new(email)).await.status(), StatusCode::SEE_OTHER);
    }
    // As a save of the campaign with another country does, in its transaction.
    app.db
        .write
        .execute_unprepared(&format!("UPDATE petitions SET postal_country = 'MX' WHERE id = {id}"))
        .await
        .expect("moved");
    undersigned::db::rollup::recount_regions(&app.db.write, id).await.expect("recounted");
    assert_eq!(app.aggregates(id).await, 2, "the regions as a rebuild makes them, by the new country");
    let regions = app
        .db
        .read
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            format!("SELECT region FROM signature_regions WHERE petition_id = {id} AND signatures <> 0"),
        ))
        .await
        .expect("read")
        .iter()
        .map(|r| r.try_get::<String>("", "region").expect("a region"))
        .collect::<Vec<_>>();
    assert_eq!(regions, ["94"], "a Mexican code's first two digits");
}
