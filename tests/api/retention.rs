//! Retention and deletion on request: a closed petition's signers are anonymised
//! `RETENTION_MONTHS` after it closed, and a supporter who asks is deleted everywhere; counts,
//! aggregates, recounts and delivered signer lists stay exactly as they were.

use chrono::{Months, Utc};
use entity::petition::{Kind, Status};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::{
    admin::{account, audit_actions, get, location, submit},
    confirm::exec,
    helpers::{Signer, TestApp, exported_emails, spawn_app, spawn_app_with},
    mail::eventually,
    paper::scalar,
};

/// Every row of `sql`, each column as text (`NULL` for none).
async fn table(app: &TestApp, sql: &str, columns: &[&str]) -> Vec<Vec<String>> {
    let rows = app
        .db
        .read
        .query_all_raw(Statement::from_string(app.db.backend(), sql.to_owned()))
        .await
        .expect("query");
    rows.iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    r.try_get::<Option<String>>("", c)
                        .map(|v| v.unwrap_or_else(|| "NULL".into()))
                        .or_else(|_| {
                            r.try_get::<Option<i64>>("", c)
                                .map(|v| v.map_or("NULL".into(), |n| n.to_string()))
                        })
                        .or_else(|_| r.try_get::<bool>("", c).map(|b| b.to_string()))
                        .expect("a text, number or truth value")
                })
                .collect()
        })
        .collect()
}

/// Closes petition `id` as if `months_ago` months ago.
async fn close_months_ago(app: &TestApp, id: i64, months_ago: u32) {
    let at = Utc::now().checked_sub_months(Months::new(months_ago)).expect("a date");
    let closed =
        undersigned::db::petitions::set_status(&app.db.write, id, Status::Open, Status::Closed, "test", at)
            .await
            .expect("closed");
    assert!(closed);
}

/// Reopens petition `id` as staff do.
async fn reopen(app: &TestApp, id: i64) {
    let now = Utc::now();
    let reopened =
        undersigned::db::petitions::set_status(&app.db.write, id, Status::Closed, Status::Open, "test", now)
            .await
            .expect("reopened");
    assert!(reopened);
}

fn signer(email: &str, given: &str, postal: &str) -> Signer {
    Signer::new(email)
        .with("given_name", given)
        .with("family_name", "Okafor")
        .with("postal_code", postal)
        .with("public_name", "1")
}

/// Everything the counts are made of, for one petition: the tally, the recount, the aggregates
/// (checked against a rebuild from the rows), the regions and the export's row count.
async fn figures(app: &TestApp, slug: &str, id: i64) -> (i64, i64, i64, Vec<Vec<String>>) {
    let regions = table(
        app,
        &format!("SELECT region, signatures FROM signature_regions WHERE petition_id = {id} ORDER BY region"),
        &["region", "signatures"],
    )
    .await;
    (app.count(slug).await, app.recount(id).await, app.aggregates(id).await, regions)
}

/// A letter closed 25 months ago is anonymised by the server on its own: names, addresses,
/// network hashes and consents go, postal codes become regions; its count, recount, aggregates
/// (made again from the anonymised rows), regions and its delivery (list and digest) stay. A
/// signer who also signed a campaign still kept keeps their supporter record; the others' are
/// emptied. The audit log says so, and a second look changes nothing.
#[tokio::test]
async fn a_closed_letter_is_anonymised_after_retention_and_its_counts_and_delivery_stay() {
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "100")]).await;
    let id = app.petition("retired", Kind::Letter, Status::Open, "en").await;
    app.open_petition("current").await;
    for (email, given, postal) in [
        ("ana@example.org", "Ana", "94110"),
        ("ben@example.org", "Ben", "94703"),
        ("cyd@example.org", "Cyd", "10001"),
        ("dee@example.org", "Dee", "94110-1234"),
    ] {
        assert_eq!(
            app.sign_fresh("retired", &signer(email, given, postal)).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(
        app.sign_fresh("current", &signer("ana@example.org", "Ana", "94110")).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = std::env::temp_dir().join(format!("retired-{}.csv", uuid::Uuid::new_v4()));
    let out = app.cli(&[
        "delivery",
        "create",
        "--petition",
        "retired",
        "--fields",
        "name",
        "--signers",
        list.to_str().expect("a path"),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let record = said.lines().next().expect("a URL").trim_start_matches("http://localhost:3000").to_owned();
    let digest =
        said.split("sha256 ").nth(1).expect("a digest").split_whitespace().next().expect("hex").to_owned();
    let before = figures(&app, "retired", id).await;
    assert_eq!(before.0, 4);

    // Closed 23 months ago: not due yet.
    close_months_ago(&app, id, 23).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {id} AND email <> ''")
        )
        .await,
        4
    );
    // Each keeps its address's domain for the per-domain limit.
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {id} AND email_domain = 'example.org'")
        )
        .await,
        4
    );
    // Reopened and closed again 25 months ago (as if): due, and the server does it.
    reopen(&app, id).await;
    close_months_ago(&app, id, 25).await;
    eventually("the letter's signers are anonymised", || async {
        scalar(
            &app,
            &format!("SELECT COUNT(*) AS n FROM petitions WHERE id = {id} AND anonymised_at IS NOT NULL"),
        )
        .await
            == 1
    })
    .await;

    let rows = table(
        &app,
        &format!(
            "SELECT given_name, family_name, email, postal_code, phone, comment, network_hash, email_domain, \
             CASE WHEN public_name THEN 'yes' ELSE 'no' END AS named, status FROM signatures \
             WHERE petition_id = {id} ORDER BY id"
        ),
        &[
            "given_name",
            "family_name",
            "email",
            "postal_code",
            "phone",
            "comment",
            "network_hash",
            "email_domain",
            "named",
            "status",
        ],
    )
    .await;
    let postal: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(postal, ["941", "947", "100", "941"], "postal codes are their regions");
    for r in &rows {
        assert_eq!(&r[..3], ["", "", ""], "no name or address: {r:?}");
        assert_eq!(
            &r[4..9],
            ["NULL", "NULL", "NULL", "NULL", "no"],
            "no phone, comment, network, domain or consent: {r:?}"
        );
        assert_eq!(r[9], "validated");
    }
    assert_eq!(figures(&app, "retired", id).await, before, "count, recount, aggregates and regions stay");
    assert!(exported_emails(&app, "retired").iter().all(String::is_empty));
    // The delivery is as it was: its public list still has the digest it was delivered with.
    let (status, page) = get(&app.client, &app, &record).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&digest), "the public record keeps its digest");
    let published = app.get(&format!("{record}/signers.csv")).await.bytes().await.expect("the list");
    assert_eq!(
        published.to_vec(),
        std::fs::read(&list).expect("the file"),
        "the published list is the delivered one"
    );
    let out = app.cli(&["verify-delivery", list.to_str().expect("a path")]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("sha256 {digest}")));
    let _ = std::fs::remove_file(&list);

    // Ana also signed a campaign still kept: her supporter record stays, the others' are emptied.
    let supporters = table(
        &app,
        "SELECT email_canonical, email, given_name FROM supporters ORDER BY id",
        &["email_canonical", "email", "given_name"],
    )
    .await;
    assert_eq!(supporters[0], ["ana@example.org", "ana@example.org", "Ana"]);
    for s in &supporters[1..] {
        assert!(s[0].starts_with("anonymised:") && s[1].is_empty() && s[2].is_empty(), "{s:?}");
    }
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE email = 'ana@example.org'").await,
        1,
        "her other signature is untouched"
    );
    let audit = audit_actions(&app).await;
    assert_eq!(
        audit
            .iter()
            .filter(|(actor, action, _)| actor == "retention" && action == "petition.anonymised")
            .count(),
        1
    );
    // Reopened after that: new signers are kept until it closes again and its time is up; the
    // anonymised stay so.
    reopen(&app, id).await;
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) AS n FROM petitions WHERE id = {id} AND anonymised_at IS NULL")
        )
        .await,
        1
    );
    // The server sees it open again within a second or two (until then, signing is refused).
    eventually("signing the reopened letter", || async {
        app.sign_fresh("retired", &signer("fay@example.org", "Fay", "94110")).await.status()
            == StatusCode::SEE_OTHER
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE email = 'fay@example.org'").await,
        1,
        "kept while open"
    );
    close_months_ago(&app, id, 25).await;
    eventually("the new signer is anonymised too", || async {
        scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE given_name = 'Fay'").await == 0
    })
    .await;
    assert_eq!(app.count("retired").await, 5);
    assert_eq!(app.recount(id).await, 5);
    // Someone who signed before can sign a campaign again as a new supporter.
    assert_eq!(
        app.sign_fresh("current", &signer("ben@example.org", "Ben", "94703")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("current").await, 2);
    assert_eq!(
        audit_actions(&app).await.iter().filter(|(_, action, _)| action == "petition.anonymised").count(),
        2
    );
}

/// `undersigned retention`: `--dry-run` lists what is due and changes nothing; a run anonymises
/// it once (a second finds nothing); `RETENTION_MONTHS=off` keeps everything; bad values are
/// refused.
#[tokio::test]
async fn the_retention_command_lists_anonymises_once_and_can_be_off() {
    let app = spawn_app().await;
    let id = app.open_petition("old").await;
    let young = app.open_petition("young").await;
    for i in 0..3 {
        assert_eq!(
            app.sign_fresh("old", &Signer::new(&format!("o{i}@example.org"))).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    close_months_ago(&app, id, 30).await;
    close_months_ago(&app, young, 1).await;
    let out = app.cli(&["retention", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "old\tdue\n");
    let out = app.cli_with(&[("RETENTION_MONTHS", "off")], &["retention"]);
    assert!(out.status.success() && out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("off"));
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE email <> ''").await,
        3,
        "nothing changed yet"
    );
    for bad in ["0", "-3", "two years", "1201"] {
        let out = app.cli_with(&[("RETENTION_MONTHS", bad)], &["retention"]);
        assert!(!out.status.success(), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("RETENTION_MONTHS"), "{bad}");
    }
    let out = app.cli(&["retention"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "old\t3 signatures\t3 supporters\t0 emails\n");
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE email <> ''").await, 0);
    assert_eq!(app.count("old").await, 3);
    let out = app.cli(&["retention"]);
    assert!(out.status.success() && out.stdout.is_empty(), "done once");
    // With 12 months, the young one is not due either.
    let out = app.cli_with(&[("RETENTION_MONTHS", "12")], &["retention", "--dry-run"]);
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// An admin deletes a supporter who asked, found by the address they signed with (in a form,
/// not the address bar): bad and unknown addresses are said so with what was typed kept; the
/// box must be ticked; then their signatures on every campaign are anonymised and still count,
/// their confirmation link and the emails written to them are gone, the audit log does not
/// name them, and organizers cannot do it.
#[tokio::test]
async fn an_admin_deletes_a_supporter_who_asks_and_their_signatures_still_count() {
    let app = spawn_app().await;
    let confirming = app.open_petition("confirming").await;
    exec(&app, &format!("UPDATE petitions SET require_confirmation = TRUE WHERE id = {confirming}")).await;
    let plain = app.open_petition("plain").await;
    let admin = account(&app, "admin@example.org", "admin").await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let find = async |email: &str| {
        submit(&admin, &app, "/admin/supporters", "/admin/supporters/find", &[("email", email)]).await
    };
    assert_eq!(
        app.sign_fresh("plain", &signer("Eve.Stone@Example.org", "Eve", "94110")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_fresh("confirming", &signer("eve.stone@example.org", "Eve", "94110")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_fresh("plain", &signer("sam@example.org", "Sam", "10001")).await.status(),
        StatusCode::SEE_OTHER
    );
    // Signing again later, typed another way: a new link goes to that spelling.
    {
        use sea_orm::{EntityTrait, sea_query::Expr};
        entity::confirmation::Entity::update_many()
            .col_expr(
                entity::confirmation::Column::CreatedAt,
                Expr::value(Utc::now() - chrono::Duration::minutes(11)),
            )
            .exec(&app.db.write)
            .await
            .expect("moved");
    }
    assert_eq!(
        app.sign_fresh("confirming", &signer("EVE.STONE@EXAMPLE.ORG", "Evie", "94110")).await.status(),
        StatusCode::OK,
        "told to look for the new link"
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE to_address = 'EVE.STONE@EXAMPLE.ORG'").await,
        1
    );
    let body = table(
        &app,
        "SELECT text_body FROM emails WHERE kind = 'signature.confirm' ORDER BY id DESC",
        &["text_body"],
    )
    .await;
    let link = body[0][0]
        .split("http://localhost:3000")
        .nth(1)
        .expect("a link")
        .split_whitespace()
        .next()
        .expect("a path")
        .to_owned();
    assert_eq!(app.get(&link).await.status(), StatusCode::OK);
    assert_eq!(app.count("plain").await, 2);

    let (status, _) = get(&organizer, &app, "/admin/supporters").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, page) = get(&admin, &app, "/admin/supporters").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Delete a supporter"));
    let res = find("eve at example").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("a page");
    assert!(page.contains("Enter the email address") && page.contains(r#"value="eve at example""#), "{page}");
    let res = find("nobody@example.org").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("a page").contains("No one has signed with this address"));
    // Found however the address is spelled.
    let res = find(" EVE.STONE@example.org ").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("a page");
    assert!(
        page.contains("Title of plain") && page.contains("Title of confirming") && page.contains("pending"),
        "{page}"
    );
    assert!(page.contains("waiting for confirmation will never count"), "{page}");
    let action = page
        .split(r#"action="/admin/supporters/"#)
        .nth(2)
        .expect("the deletion's form, after the search's")
        .split('"')
        .next()
        .expect("a path");
    let action = format!("/admin/supporters/{action}");
    let csrf = crate::admin::csrf_of(&page);
    // The deletion's form, with its box ticked or not.
    let erase = async |ticked: bool| {
        let mut fields = vec![("csrf", csrf.as_str()), ("email", "eve.stone@example.org")];
        if ticked {
            fields.push(("confirm", "1"));
        }
        admin.post(app.url(&action)).form(&fields).send().await.expect("sent")
    };
    // Not ticked: the same page, with the error, and nothing changed.
    let res = erase(false).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("a page").contains("Tick the box"));
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE given_name = 'Eve'").await, 2);
    let res = erase(true).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/supporters");
    let (_, page) = get(&admin, &app, "/admin/supporters").await;
    assert!(page.contains("Their counted signatures still count"), "{page}");

    let eve = table(
        &app,
        "SELECT given_name, email, postal_code, status FROM signatures WHERE given_name <> 'Sam' ORDER BY id",
        &["given_name", "email", "postal_code", "status"],
    )
    .await;
    assert_eq!(eve, [["", "", "941", "validated"], ["", "", "941", "pending"]]);
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM signatures WHERE given_name = 'Sam' AND email = 'sam@example.org'"
        )
        .await,
        1,
        "others untouched"
    );
    assert_eq!(app.count("plain").await, 2, "her signature still counts");
    assert_eq!(app.recount(plain).await, 2);
    assert_eq!(app.aggregates(plain).await, 2);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE lower(to_address) LIKE '%eve%'").await,
        0
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM confirmations").await, 0);
    assert_eq!(app.get(&link).await.status(), StatusCode::NOT_FOUND, "her link no longer works");
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM supporters WHERE email_canonical LIKE 'anonymised:%' AND email = ''"
        )
        .await,
        1
    );
    let lines = table(
        &app,
        "SELECT action, subject, detail FROM audit_log WHERE action = 'supporter.erased'",
        &["action", "subject", "detail"],
    )
    .await;
    assert_eq!(lines.len(), 1);
    assert!(!lines[0].join(" ").to_lowercase().contains("eve"), "{lines:?}");
    let res = find("eve.stone@example.org").await;
    assert!(res.text().await.expect("a page").contains("No one has signed with this address"));
    // Deleting again (a second click) changes nothing more.
    let res = erase(true).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&admin, &app, "/admin/supporters").await;
    assert!(page.contains("Nothing to delete"), "{page}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'supporter.erased'").await,
        1
    );
    // Not ticked, for someone no longer found: the plain answer, not an error about the box.
    let res = erase(false).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("a page");
    assert!(page.contains("No one has signed with this address") && !page.contains("Tick the box"), "{page}");
}

/// The found page names the delivered letters whose signer lists name the supporter (they
/// agreed), which stay as delivered.
#[tokio::test]
async fn deleting_someone_named_on_a_delivered_letter_says_the_delivery_stays() {
    let app = spawn_app().await;
    app.petition("letter", Kind::Letter, Status::Open, "en").await;
    let admin = account(&app, "admin@example.org", "admin").await;
    assert_eq!(
        app.sign_fresh("letter", &signer("named@example.org", "Nia", "94110")).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_fresh("letter", &Signer::new("quiet@example.org")).await.status(),
        StatusCode::SEE_OTHER
    );
    let out = app.cli(&["delivery", "create", "--petition", "letter", "--fields", "name"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let record = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .expect("a URL")
        .trim_start_matches("http://localhost:3000")
        .to_owned();
    let find = async |email: &str| {
        let res =
            submit(&admin, &app, "/admin/supporters", "/admin/supporters/find", &[("email", email)]).await;
        res.text().await.expect("a page")
    };
    let page = find("named@example.org").await;
    assert!(page.contains("agreed to be named") && page.contains(&format!(r#"href="{record}""#)), "{page}");
    let page = find("quiet@example.org").await;
    assert!(!page.contains("agreed to be named"), "not named: {page}");
}

/// A network hash is the petition's own: one address signing two petitions leaves two hashes
/// that cannot be matched.
#[tokio::test]
async fn network_hashes_differ_between_petitions() {
    let app = spawn_app().await;
    app.open_petition("first").await;
    app.open_petition("second").await;
    for slug in ["first", "second"] {
        assert_eq!(
            app.sign_fresh(slug, &Signer::new(&format!("{slug}@example.org"))).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let hashes = table(&app, "SELECT network_hash FROM signatures ORDER BY id", &["network_hash"]).await;
    assert_eq!(hashes.len(), 2);
    assert_eq!(hashes[0][0].len(), 16);
    assert_ne!(hashes[0], hashes[1], "{hashes:?}");
}
