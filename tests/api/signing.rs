use entity::petition::{Kind, Status};
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;

use crate::helpers::{Signer, spawn_app};

#[tokio::test]
async fn signing_counts_once_and_thanks_the_signer() {
    let app = spawn_app().await;
    let id = app.open_petition("fair-pay").await;
    assert_eq!(app.count("fair-pay").await, 0);

    let res = app.sign("fair-pay", &Signer::new("ana@example.org")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/p/fair-pay/thanks");
    let cookie = res.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(cookie.starts_with("us_share=") && cookie.contains("HttpOnly"), "{cookie}");
    assert!(!cookie.contains("ana"), "no personal data in cookies: {cookie}");

    assert_eq!(app.count("fair-pay").await, 1);
    assert_eq!(app.recount(id).await, 1);

    let thanks = app.get("/p/fair-pay/thanks").await;
    assert_eq!(thanks.status(), StatusCode::OK);
    let html = thanks.text().await.expect("body");
    assert!(html.contains("Thank you for signing"));
    assert!(html.contains(">1 signature<"), "count shown: {html}");
    // The signer's own share link, with their share code (carried in the signed cookie), and
    // share buttons.
    let value = cookie.trim_start_matches("us_share=").split(';').next().unwrap_or_default();
    let link = "http://localhost:3000/p/fair-pay?ref=";
    let at = html.find(link).expect("a personal link") + link.len();
    let code = &html[at..at + 10];
    assert!(code.bytes().all(|b| b.is_ascii_alphanumeric()), "{code}");
    assert!(value.ends_with(code) && value.len() > code.len(), "the cookie is signed: {value}");
    // The buttons go through the recording redirect, crediting the signer.
    assert!(html.contains(&format!("/p/fair-pay/share/whatsapp?ref={code}")), "{html}");
    assert!(!html.contains("https://wa.me/"), "no button links to a network directly");
}

#[tokio::test]
async fn count_json_has_the_documented_shape() {
    let app = spawn_app().await;
    app.open_petition("shape").await;
    app.sign("shape", &Signer::new("a@example.org")).await;
    let res = app.get("/p/shape/count.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(res.headers()["cache-control"].to_str().expect("ascii").contains("public"));
    let json: serde_json::Value = res.json().await.expect("json");
    let obj = json.as_object().expect("an object");
    let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["goal", "signatures", "slug", "updated_at"]);
    assert_eq!(json["slug"], "shape");
    assert_eq!(json["signatures"], 1);
    assert_eq!(json["goal"], 1000);
    let at = json["updated_at"].as_str().expect("a string");
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at} is RFC 3339");
}

#[tokio::test]
async fn signing_again_changes_nothing_whatever_the_spelling() {
    let app = spawn_app().await;
    let id = app.open_petition("dupes").await;
    let first = app.sign_fresh("dupes", &Signer::new("jane.doe@gmail.com")).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let other = app.sign_fresh("dupes", &Signer::new("sam@example.org")).await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);

    for again in [
        "JANE.DOE@GMAIL.COM",
        "janedoe@gmail.com",
        "j.a.n.e.doe+union@gmail.com",
        "Jane.Doe+x@googlemail.com",
    ] {
        let res = app.sign_fresh("dupes", &Signer::new(again).with("given_name", "Other")).await;
        assert_eq!(res.status(), StatusCode::OK, "{again}");
        let html = res.text().await.expect("body");
        assert!(html.contains("You have already signed"), "{again}: {html}");
    }
    // Case only, for a provider that keeps dots and tags.
    let res = app.sign_fresh("dupes", &Signer::new("SAM@Example.org")).await;
    assert!(res.text().await.expect("body").contains("already signed"));
    // …where a dot or a tag is a different person.
    let res = app.sign_fresh("dupes", &Signer::new("s.am@example.org")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    assert_eq!(app.count("dupes").await, 3);
    assert_eq!(app.recount(id).await, 3);
    assert_eq!(app.rows(id).await, 3);
}

#[tokio::test]
async fn one_person_can_sign_different_petitions() {
    let app = spawn_app().await;
    app.open_petition("one").await;
    app.open_petition("two").await;
    let signer = Signer::new("ana@example.org");
    assert_eq!(app.sign("one", &signer).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.sign("two", &signer).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("one").await, 1);
    assert_eq!(app.count("two").await, 1);
}

/// A draft is not public anywhere until it is published: not its page, form, thanks page or
/// count.
#[tokio::test]
async fn drafts_are_404_everywhere_public() {
    let app = spawn_app().await;
    let draft = app.petition("draft", Kind::Petition, Status::Draft, "en").await;
    for path in ["/p/draft", "/p/draft/thanks", "/p/draft/count.json", "/p/draft?lang=es"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body = res.text().await.expect("body");
        assert!(!body.contains("Title of draft") && !body.contains("Summary of draft"), "{path}: {body}");
    }
    let res = app.sign("draft", &Signer::new("a@example.org")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(!res.text().await.expect("body").contains("Title of draft"));
    assert_eq!(app.rows(draft).await, 0);
    let home = app.get("/").await.text().await.expect("body");
    assert!(!home.contains("draft"), "{home}");
}

/// A closed petition keeps its page (text and count) with a notice instead of the form, and
/// refuses signatures with 409.
#[tokio::test]
async fn closed_petitions_keep_their_page_and_count_but_refuse_signatures() {
    let app = spawn_app().await;
    let closed = app.petition("closed", Kind::Petition, Status::Closed, "en").await;
    let res = app.sign("closed", &Signer::new("a@example.org")).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("body");
    assert!(html.contains("This petition is closed") && !html.contains("<form"), "{html}");

    let res = app.get("/p/closed").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("body");
    assert!(page.contains("<h1>Title of closed</h1>") && page.contains("First paragraph."), "{page}");
    assert!(page.contains("no longer accepts signatures") && !page.contains("<form"), "{page}");
    assert!(page.contains(r#"<progress value="0""#));
    assert_eq!(app.rows(closed).await, 0);
    assert_eq!(app.count("closed").await, 0);
    assert_eq!(app.get("/p/closed/thanks").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_petitions_are_real_404s() {
    let app = spawn_app().await;
    for path in ["/p/no-such-thing", "/p/No_Such", "/nowhere", "/p/no-such-thing/thanks"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(res.text().await.expect("body").contains("Page not found"), "{path}");
    }
    let res = app.sign("no-such-thing", &Signer::new("a@example.org")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.get("/p/no-such-thing/count.json").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let json: serde_json::Value = res.json().await.expect("json");
    assert_eq!(json["error"], "not found");
}

#[tokio::test]
async fn the_honeypot_flags_silently_and_never_counts() {
    let app = spawn_app().await;
    let id = app.open_petition("bots").await;
    let res = app.sign("bots", &Signer::new("bot@example.org").with("website", "http://spam.example")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the sender is not told");
    assert_eq!(app.count("bots").await, 0);
    assert_eq!(app.rows(id).await, 1);
    assert_eq!(app.recount(id).await, 0);
}

#[tokio::test]
async fn attribution_is_first_touch_and_never_keeps_click_ids() {
    let app = spawn_app().await;
    let id = app.open_petition("ads").await;
    // First touch: an ad link with utm parameters and a click id.
    let page =
        app.client
            .get(app.url(
                "/p/ads?utm_source=facebook&utm_medium=paid&utm_campaign=nov&source=ad-7&fbclid=CLICK123",
            ))
            .header("referer", "https://m.facebook.com/story.php?id=99")
            .send()
            .await
            .expect("sent");
    let cookie = page.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(cookie.starts_with("us_ft=") && !cookie.contains("CLICK123"), "{cookie}");
    let html = page.text().await.expect("body");
    assert!(html.contains(r#"name="utm_source" value="facebook""#), "{html}");
    assert!(html.contains(r#"name="referrer" value="m.facebook.com""#));
    assert!(!html.contains("CLICK123"));

    // A later visit from elsewhere does not replace the first touch.
    let later = app.get("/p/ads?utm_source=newsletter").await.text().await.expect("body");
    assert!(later.contains(r#"name="utm_source" value="facebook""#), "{later}");

    let signer = Signer::new("ana@example.org")
        .with("utm_source", "facebook")
        .with("utm_medium", "paid")
        .with("utm_campaign", "nov")
        .with("source", "ad-7")
        .with("referrer", "m.facebook.com")
        .with("fbclid", "CLICK123");
    assert_eq!(app.sign("ads", &signer).await.status(), StatusCode::SEE_OTHER);
    let out = app.cli(&["export", "--petition", "ads"]);
    let csv = String::from_utf8(out.stdout).expect("utf-8");
    assert!(csv.contains(",ad-7,m.facebook.com,,facebook,paid,nov,,,"), "{csv}");
    assert!(!csv.contains("CLICK123"));
    assert_eq!(app.recount(id).await, 1);
}

#[tokio::test]
async fn identifier_columns_compare_byte_by_byte_on_postgresql() {
    let app = spawn_app().await;
    if app.db.backend() != sea_orm::DatabaseBackend::Postgres {
        // SQLite compares every text byte by byte.
        return;
    }
    let rows = app
        .db
        .read
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            "SELECT table_name::text AS t, column_name::text AS c, collation_name::text AS collation \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name IN ('supporters', 'signatures', 'confirmations') \
             AND collation_name IS NOT NULL"
                .to_owned(),
        ))
        .await
        .expect("the catalogue is read");
    let collation = |table: &str, column: &str| {
        rows.iter()
            .find(|r| {
                r.try_get::<String>("", "t").ok().as_deref() == Some(table)
                    && r.try_get::<String>("", "c").ok().as_deref() == Some(column)
            })
            .and_then(|r| r.try_get::<String>("", "collation").ok())
    };
    for (table, column) in [
        ("supporters", "email_canonical"),
        ("signatures", "status"),
        ("signatures", "share_code"),
        ("signatures", "ref_code"),
        ("signatures", "network_hash"),
        ("signatures", "email_domain"),
        ("confirmations", "token_hash"),
        ("confirmations", "reminder_hash"),
    ] {
        assert_eq!(collation(table, column).as_deref(), Some("C"), "{table}.{column}");
    }
    // Words people read keep the language's order.
    assert_eq!(collation("supporters", "given_name"), None, "names sort as the database's default");
}
