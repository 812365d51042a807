//! Share texts: staff's wordings for share buttons, one chosen per click (in turn while they
//! are new), recorded on the click and on the signatures the shared link brings, and reported
//! with signatures per click and its interval.

use std::time::{Duration, Instant};

use reqwest::{StatusCode, header};

use crate::{
    helpers::{TestApp, spawn_app},
    share::{follow, hidden_fields, one_i64, phone, query_values, sign_from},
};

/// Adds a share text with the CLI and returns its id.
fn add(app: &TestApp, args: &[&str]) -> i64 {
    let mut all = vec!["share-text", "add"];
    all.extend_from_slice(args);
    let out = app.cli(&all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8(out.stdout).expect("UTF-8");
    out.strip_prefix("Share text ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an id in {out:?}"))
}

/// The suggested message and the shared link of a share dialog (WhatsApp: "text link").
fn message_and_link(target: &str) -> (String, String) {
    let text = query_values(target).join(" ");
    let at = text.find("http://localhost:3000").unwrap_or_else(|| panic!("our link in {target}"));
    (text[..at].trim().to_owned(), text[at..].to_owned())
}

/// The `v` of a shared link.
fn named_text(link: &str) -> Option<String> {
    let link = url::Url::parse(link).ok()?;
    link.query_pairs().find(|(k, _)| k == "v").map(|(_, v)| v.into_owned())
}

/// Clicks a WhatsApp share button (as nobody: a request without a User-Agent is not counted)
/// until the server's copy of the petition offers `wanted` `in_a_row` times running.
async fn until_offered(app: &TestApp, slug: &str, wanted: &str, in_a_row: usize) {
    let nobody =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut run = 0;
    loop {
        let target = follow(&nobody, app, &format!("/p/{slug}/share/whatsapp")).await;
        run = if message_and_link(&target).0 == wanted { run + 1 } else { 0 };
        if run == in_a_row {
            return;
        }
        assert!(Instant::now() < deadline, "{wanted:?} never offered: {target}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn share_texts_take_turns_and_credit_the_signatures_they_bring() {
    let app = spawn_app().await;
    let id = app.open_petition("worded").await;
    app.open_petition("elsewhere").await;
    let first = add(&app, &["--petition", "worded", "--text", "Nurses need you: sign now"]);
    let second = add(&app, &["--petition", "worded", "--text", "  Safe staffing saves lives  "]);
    let spanish =
        add(&app, &["--petition", "worded", "--locale", "es", "--text", "Firma por la dotación segura"]);
    let foreign = add(&app, &["--petition", "elsewhere", "--text", "Another campaign"]);
    until_offered(&app, "worded", "Safe staffing saves lives", 1).await;

    // New texts take turns, click after click, and each link names its text.
    let client = phone();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let target = follow(&client, &app, "/p/worded/share/whatsapp").await;
        let (message, link) = message_and_link(&target);
        let expected = match message.as_str() {
            "Nurses need you: sign now" => first,
            "Safe staffing saves lives" => second,
            other => panic!("an unknown wording {other:?}"),
        };
        assert_eq!(named_text(&link), Some(expected.to_string()), "{link}");
        assert!(link.starts_with("http://localhost:3000/p/worded?source=share-whatsapp&v="), "{link}");
        seen.push(expected);
    }
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "in turn: {seen:?}");
    assert_eq!(seen.iter().filter(|&&t| t == first).count(), 2, "{seen:?}");

    // A Spanish visitor gets the Spanish wording (the only one in Spanish).
    let spanish_client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36")
        .default_headers(
            [(header::ACCEPT_LANGUAGE, header::HeaderValue::from_static("es-MX,es;q=0.9"))]
                .into_iter()
                .collect(),
        )
        .build()
        .expect("a client");
    for _ in 0..2 {
        let target = follow(&spanish_client, &app, "/p/worded/share/whatsapp").await;
        let (message, link) = message_and_link(&target);
        assert_eq!(message, "Firma por la dotación segura");
        assert_eq!(named_text(&link), Some(spanish.to_string()));
    }

    // Someone opens a link shared with the first text and signs: the signature records it.
    let reader = phone();
    let page = reader
        .get(app.url(&format!("/p/worded?source=share-whatsapp&v={first}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    assert!(hidden_fields(&page).contains(&("v".to_owned(), first.to_string())), "the form carries it");
    sign_from(&reader, &app, "worded", "reader@example.org", &page).await;
    // Another petition's text, or a made-up one, is not credited.
    let stray = phone();
    let page = stray
        .get(app.url(&format!("/p/worded?source=share-x&v={foreign}")))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    sign_from(&stray, &app, "worded", "stray@example.org", &page).await;
    let junk = phone();
    let page = junk.get(app.url("/p/worded?source=share-x&v=12abc")).send().await.expect("sent");
    let page = page.text().await.expect("page");
    assert!(!hidden_fields(&page).iter().any(|(k, _)| k == "v"), "a malformed id is dropped");
    sign_from(&junk, &app, "worded", "junk@example.org", &page).await;
    let credited = |email: &str| {
        format!(
            "SELECT CAST(COALESCE(MAX(share_text_id), 0) AS BIGINT) AS n FROM signatures \
             WHERE petition_id = {id} AND email = '{email}'"
        )
    };
    assert_eq!(one_i64(&app, credited("reader@example.org")).await, first);
    assert_eq!(one_i64(&app, credited("stray@example.org")).await, 0);
    assert_eq!(one_i64(&app, credited("junk@example.org")).await, 0);

    // The clicks are stored per text; the report shows each text's figures and interval.
    let stored = |text: i64| {
        format!(
            "SELECT CAST(COALESCE(SUM(clicks), 0) AS BIGINT) AS n FROM share_clicks \
             WHERE petition_id = {id} AND variant_id = {text}"
        )
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while one_i64(&app, stored(first)).await + one_i64(&app, stored(spanish)).await < 4 {
        assert!(Instant::now() < deadline, "clicks were not stored");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        (
            one_i64(&app, stored(first)).await,
            one_i64(&app, stored(second)).await,
            one_i64(&app, stored(0)).await
        ),
        (2, 2, 0),
        "people's clicks, per text"
    );
    let out = app.cli(&["report", "--petition", "worded", "--sharing", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8(out.stdout).expect("UTF-8");
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect();
    let row = |key: String| {
        rows.iter()
            .find(|r| r[0] == "share_text" && r[1] == key)
            .unwrap_or_else(|| panic!("no share text {key} in {rows:?}"))
            .clone()
    };
    // One signature from two clicks: 0.50, with the exact 95% interval 0.01–2.79.
    assert_eq!(
        row(first.to_string())[2..],
        ["2", "1", "0.50", "", "0.01", "2.79", "Nurses need you: sign now"]
    );
    assert_eq!(row(second.to_string())[2..5], ["2", "0", "0.00"]);
    assert_eq!(row(second.to_string())[8], "Safe staffing saves lives", "kept trimmed");
    assert_eq!(row(spanish.to_string())[2..4], ["2", "0"]);
    assert_eq!(row("default".to_owned())[2..4], ["0", "2"], "share signatures that named no text");
    assert!(!rows.iter().any(|r| r[1] == foreign.to_string()), "only this petition's texts");
    let list = app.cli(&["share-text", "list", "--petition", "worded"]);
    let list = String::from_utf8(list.stdout).expect("UTF-8");
    assert!(
        list.contains(&format!("{first}  en  live  clicks=2 signatures=1 per_click=0.50 (0.01–2.79)")),
        "{list}"
    );

    // A retired text is no longer offered; its link still credits it.
    let out = app.cli(&["share-text", "retire", &second.to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Two texts take turns, so four of the same in a row means the other is gone.
    until_offered(&app, "worded", "Nurses need you: sign now", 4).await;
    for _ in 0..3 {
        let (message, _) = message_and_link(&follow(&client, &app, "/p/worded/share/whatsapp").await);
        assert_eq!(message, "Nurses need you: sign now");
    }
    let late = phone();
    let page = late.get(app.url(&format!("/p/worded?source=share-x&v={second}"))).send().await.expect("sent");
    let page = page.text().await.expect("page");
    sign_from(&late, &app, "worded", "late@example.org", &page).await;
    assert_eq!(one_i64(&app, credited("late@example.org")).await, second);
    let out = app.cli(&["share-text", "restore", &second.to_string()]);
    assert!(out.status.success());
}

#[tokio::test]
async fn a_share_text_s_image_is_the_preview_of_the_links_shared_with_it() {
    let app = spawn_app().await;
    app.open_petition("pictured").await;
    let dir = std::env::temp_dir().join(format!("share-image-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let png = dir.join("card.png");
    let picture = undersigned::domain::raster::Raster::filled(120, 63, [20, 90, 160]);
    std::fs::write(&png, picture.png().expect("a PNG")).expect("written");
    let text = add(
        &app,
        &[
            "--petition",
            "pictured",
            "--text",
            "Look who is signing",
            "--image",
            png.to_str().expect("UTF-8"),
            "--alt",
            "Nurses at a rally",
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let page = loop {
        let page = app.get(&format!("/p/pictured?v={text}")).await.text().await.expect("page");
        if page.contains("Nurses at a rally") {
            break page;
        }
        assert!(Instant::now() < deadline, "the preview never changed: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let image = page
        .split("<meta property=\"og:image\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an og:image")
        .to_owned();
    assert!(image.starts_with("http://localhost:3000/images/") && image.ends_with(".png"), "{image}");
    assert!(page.contains(r#"<meta property="og:image:width" content="120">"#), "{page}");
    assert!(page.contains(r#"<meta property="og:image:alt" content="Nurses at a rally">"#));
    let served = app.get(image.trim_start_matches("http://localhost:3000")).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()[header::CONTENT_TYPE], "image/png");
    // The petition's own page, and a link naming no text with an image, keep their own card.
    let own = app.get("/p/pictured").await.text().await.expect("page");
    assert!(!own.contains("Nurses at a rally") && !own.contains("/images/"), "{own}");
    let stray = app.get("/p/pictured?v=999999").await.text().await.expect("page");
    assert!(!stray.contains("/images/"));
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn bad_share_texts_are_refused_with_the_reason_and_nothing_is_stored() {
    let app = spawn_app().await;
    app.open_petition("careful").await;
    let dir = std::env::temp_dir().join(format!("share-bad-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let not_image = dir.join("notes.png");
    std::fs::write(&not_image, "just words").expect("written");
    let not_image = not_image.to_str().expect("UTF-8");
    let long = "x".repeat(281);
    let cases: [(&[&str], &str); 8] = [
        (&["--petition", "careful", "--text", "   "], "--text: the text is empty"),
        (&["--petition", "careful", "--text", &long], "281 characters long; at most 280"),
        (&["--petition", "careful", "--text", "two\nlines"], "control characters"),
        (&["--petition", "nowhere", "--text", "Sign"], "no petition with slug \"nowhere\""),
        (&["--petition", "careful", "--text", "Sign", "--locale", "fr"], "--locale \"fr\""),
        (
            &["--petition", "careful", "--text", "Sign", "--image", not_image, "--alt", "A"],
            "not a PNG, JPEG or WebP",
        ),
        (&["--petition", "careful", "--text", "Sign", "--image", not_image], "--image needs --alt"),
        (&["--petition", "careful", "--text", "Sign", "--alt", "A rally"], "give the image with --image"),
    ];
    for (args, reason) in cases {
        let mut all = vec!["share-text", "add"];
        all.extend_from_slice(args);
        let out = app.cli(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains(reason), "{args:?}: {err}");
    }
    for action in ["retire", "restore"] {
        let out = app.cli(&["share-text", action, "424242"]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no share text 424242"));
    }
    assert_eq!(one_i64(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM share_texts".to_owned()).await, 0);
    assert_eq!(one_i64(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM images".to_owned()).await, 0);
    std::fs::remove_dir_all(&dir).ok();
}
