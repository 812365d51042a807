use entity::petition::{Kind, Status};
use reqwest::StatusCode;

use crate::helpers::{Signer, spawn_app};

#[tokio::test]
async fn home_lists_open_petitions_only() {
    let app = spawn_app().await;
    let empty = app.get("/").await.text().await.expect("body");
    assert!(empty.contains("There are no open petitions right now."));
    app.open_petition("open-one").await;
    app.petition("a-draft", Kind::Petition, Status::Draft, "en").await;
    app.petition("a-closed", Kind::Petition, Status::Closed, "en").await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(html.contains(r#"href="/p/open-one""#));
    assert!(!html.contains("a-draft") && !html.contains("a-closed"));
}

#[tokio::test]
async fn petition_page_is_accessible_shareable_and_script_free() {
    let app = spawn_app().await;
    app.open_petition("page").await;
    let res = app.get("/p/page").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(res.headers().get("strict-transport-security").is_none(), "not over plain http");
    assert!(
        res.headers()["content-security-policy"].to_str().expect("ascii").contains("frame-ancestors 'none'")
    );
    let html = res.text().await.expect("body");
    assert!(!html.contains("<script"), "works without JavaScript");
    assert!(html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#));
    // Open Graph and Twitter card tags with absolute URLs from PUBLIC_URL.
    assert!(html.contains(r#"<meta property="og:url" content="http://localhost:3000/p/page">"#), "{html}");
    assert!(html.contains(r#"<meta property="og:title" content="Title of page">"#));
    assert!(html.contains(r#"<meta property="og:description" content="Summary of page">"#));
    assert!(html.contains(r#"<meta name="twitter:card""#));
    // Every visible input has a label.
    for id in
        ["given_name", "family_name", "email", "postal_code", "phone", "employer", "comment", "email_opt_in"]
    {
        assert!(html.contains(&format!(r#"<label for="f-{id}">"#)), "label for {id}");
        assert!(html.contains(&format!(r#"id="f-{id}""#)), "input {id}");
    }
    // The progress bar toward the goal, and the text escaped.
    assert!(html.contains(r#"<progress value="0" max="1000""#));
    assert!(html.contains("Second &lt;b&gt;paragraph&lt;/b&gt;."));
    assert!(html.contains(r#"method="post" action="/p/page/sign""#));
    // No public-name choice on a plain petition.
    assert!(!html.contains("public_name"));
}

#[tokio::test]
async fn an_open_letter_shows_its_recipients_and_the_public_name_choice() {
    let app = spawn_app().await;
    app.petition("letter", Kind::Letter, Status::Open, "en").await;
    let html = app.get("/p/letter").await.text().await.expect("body");
    assert!(html.contains("Dana Whitfield") && html.contains("Riverside Health"));
    assert!(html.contains("Read the letter"));
    assert!(
        html.contains(r#"name="public_name""#) && !html.contains(r#"name="public_name" value="on" checked"#)
    );
    assert!(html.contains("Add my name"));
}

/// The petition page is rendered once and served to many visitors: each still gets their own
/// attribution fields and none of anyone else's, and the count it shows follows new signatures.
#[tokio::test]
async fn every_visitor_gets_their_own_fields_and_the_current_count() {
    let app = spawn_app().await;
    app.open_petition("shared").await;
    let visit = |query: &'static str| {
        let url = app.url(&format!("/p/shared{query}"));
        async move {
            let client = reqwest::Client::builder().build().expect("a client");
            client.get(url).send().await.expect("request sent").text().await.expect("body")
        }
    };
    let plain = visit("").await;
    let from_a = visit("?utm_source=ad-a&utm_campaign=nov").await;
    let from_b = visit("?source=%3Cb%3E&utm_source=ad-b").await;
    let plain_again = visit("").await;
    assert!(!plain.contains(r#"type="hidden""#) && !plain.contains("<!--"), "{plain}");
    assert_eq!(plain, plain_again);
    assert!(from_a.contains(r#"<input type="hidden" name="utm_source" value="ad-a">"#), "{from_a}");
    assert!(from_a.contains(r#"name="utm_campaign" value="nov""#) && !from_a.contains("ad-b"));
    assert!(from_b.contains(r#"<input type="hidden" name="source" value="&lt;b&gt;">"#), "{from_b}");
    assert!(from_b.contains(r#"name="utm_source" value="ad-b""#) && !from_b.contains("ad-a"));
    assert!(!from_b.contains("utm_campaign"));
    // Apart from the hidden fields, every visitor sees the same page.
    let fields_a = r#"<input type="hidden" name="utm_source" value="ad-a"><input type="hidden" name="utm_campaign" value="nov">"#;
    assert_eq!(from_a.replace(fields_a, ""), plain);

    assert!(plain.contains(r#"<progress value="0""#));
    assert_eq!(
        app.sign_fresh("shared", &Signer::new("ana@example.org")).await.status(),
        StatusCode::SEE_OTHER
    );
    let after = visit("").await;
    assert!(after.contains(r#"<progress value="1""#), "the page shows the new count: {after}");
}

/// Pages are served from memory, and a petition edited in the database shows within about a
/// second, without any request waiting for the database to be read again.
#[tokio::test]
async fn an_edited_petition_shows_within_about_a_second() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    app.open_petition("edited").await;
    assert!(app.get("/p/edited").await.text().await.expect("body").contains("<h1>Title of edited</h1>"));
    app.db
        .write
        .execute_unprepared("UPDATE petitions SET title = 'A new title' WHERE slug = 'edited'")
        .await
        .expect("petition updated");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let html = app.get("/p/edited").await.text().await.expect("body");
        if html.contains("<h1>A new title</h1>") {
            break;
        }
        assert!(html.contains("<h1>Title of edited</h1>"), "the old page until then: {html}");
        assert!(std::time::Instant::now() < deadline, "the edit never showed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The HTML and CSS a phone needs for its first paint fit in the first 14 KB (one round trip of
/// a new TCP connection), compressed with brotli or gzip.
#[tokio::test]
async fn first_paint_fits_in_fourteen_kilobytes_compressed() {
    let app = spawn_app().await;
    assert!(app.cli(&["demo"]).status.success());
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().expect("a client");
    let page = app.get("/a/staffing-nurses").await.text().await.expect("body");
    let css_path = {
        let at = page.find("/static/app.css?v=").expect("a stylesheet");
        page[at..at + page[at..].find('"').unwrap_or_default()].to_owned()
    };
    for encoding in ["br", "gzip"] {
        let mut total = 0;
        for path in ["/a/staffing-nurses", "/p/safe-staffing", css_path.as_str()] {
            let res = raw.get(app.url(path)).header("accept-encoding", encoding).send().await.expect("sent");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(res.headers()["content-encoding"], encoding, "{path}");
            let bytes = res.bytes().await.expect("body").len();
            if path != "/p/safe-staffing" {
                total += bytes;
            }
        }
        assert!(total <= 14 * 1024, "{encoding}: landing page and stylesheet are {total} bytes");
    }
    // Images are compressed already and are sent as they are.
    let start = page.find(r#"<img src=""#).expect("a hero") + 10;
    let src = &page[start..start + page[start..].find('"').unwrap_or_default()];
    let res = raw.get(app.url(src)).header("accept-encoding", "br, gzip").send().await.expect("sent");
    assert!(res.headers().get("content-encoding").is_none());
}

/// A page and its stylesheet read the same in every coding a browser may ask for, with this
/// visitor's first touch in the form, and say that they vary with it. Pages are kept in gzip,
/// the stylesheet in brotli and gzip; a coding not kept is made as the response goes out.
#[tokio::test]
async fn pages_read_the_same_in_every_coding() {
    use std::io::Read;

    let app = spawn_app().await;
    assert!(app.cli(&["demo"]).status.success());
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().expect("a client");
    let page = app.get("/a/staffing-nurses").await.text().await.expect("body");
    let at = page.find("/static/app.css?v=").expect("a stylesheet");
    let css = &page[at..at + page[at..].find('"').unwrap_or_default()];
    let paths = [
        "/a/staffing-nurses?utm_campaign=night-shift",
        "/q/station",
        "/p/safe-staffing?source=flyer",
        "/p/safe-staffing",
        css,
    ];
    for path in paths {
        let mut bodies = Vec::new();
        let file = path == css;
        for (asked, coding, kept) in [
            ("identity", None, true),
            ("gzip, deflate, br, zstd", Some(if file { "br" } else { "gzip" }), true),
            ("gzip", Some("gzip"), true),
            ("br", Some("br"), file),
        ] {
            let res = raw.get(app.url(path)).header("accept-encoding", asked).send().await.expect("sent");
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            assert_eq!(
                res.headers().get("content-encoding").map(|v| v.to_str().expect("ascii")),
                coding,
                "{path}"
            );
            assert!(
                res.headers()
                    .get_all("vary")
                    .iter()
                    .any(|v| v.to_str().expect("ascii").contains("accept-encoding")),
                "{path} {asked}"
            );
            // Kept compressed whole, or compressed as it streams out.
            assert_eq!(res.content_length().is_some(), kept, "{path} {asked}");
            let bytes = res.bytes().await.expect("body");
            let mut text = String::new();
            match coding {
                None => text = String::from_utf8(bytes.to_vec()).expect("utf-8"),
                Some("br") => {
                    brotli::Decompressor::new(&bytes[..], 4096).read_to_string(&mut text).expect("brotli");
                }
                Some(_) => {
                    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).expect("gzip");
                }
            }
            bodies.push(without_form_token(&text));
        }
        assert!(bodies.iter().all(|b| *b == bodies[0]), "{path}: the codings differ");
        let first = &bodies[0];
        match path {
            "/a/staffing-nurses?utm_campaign=night-shift" => {
                assert!(first.contains(r#"name="utm_campaign" value="night-shift""#), "{first}");
            }
            "/q/station" => assert!(first.contains(r#"name="source" value="qr-station""#), "{first}"),
            "/p/safe-staffing?source=flyer" => assert!(first.contains(r#"name="source" value="flyer""#)),
            _ => {}
        }
    }
    // More first touches at once than a page keeps filled in: each is still served its own,
    // compressed as it goes.
    for n in 0..40 {
        let path = format!("/a/staffing-nurses?utm_campaign=poster-{n}");
        let res = raw.get(app.url(&path)).header("accept-encoding", "gzip").send().await.expect("sent");
        assert_eq!(res.headers()["content-encoding"], "gzip");
        let bytes = res.bytes().await.expect("body");
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).expect("gzip");
        assert!(text.contains(&format!(r#"name="utm_campaign" value="poster-{n}""#)), "{n}");
    }
}

/// A page without its form's token, which changes every second.
fn without_form_token(html: &str) -> String {
    let marker = r#"name="form_token" value=""#;
    match html.find(marker) {
        Some(at) => {
            let start = at + marker.len();
            let end = start + html[start..].find('"').unwrap_or_default();
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_owned(),
    }
}

/// Served over https, every response tells browsers to keep to https.
#[tokio::test]
async fn https_instances_ask_browsers_to_keep_to_https() {
    let app = crate::helpers::spawn_app_with(&[("PUBLIC_URL", "https://petitions.example.org")]).await;
    app.open_petition("secure").await;
    for path in ["/p/secure", "/healthz", "/admin/login", "/nowhere"] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["strict-transport-security"], "max-age=31536000", "{path}");
    }
}
