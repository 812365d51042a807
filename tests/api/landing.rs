//! Ad landing pages (`/a/{landing}`) and their images.

use entity::{
    landing_page::{self, Status as LandingStatus},
    petition::{Kind, Status},
};
use reqwest::{StatusCode, header};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use undersigned::{db::landing, domain::raster::Raster};

use crate::helpers::{Signer, TestApp, spawn_app};

/// A landing page for `petition_id` with a stored 120×63 hero; returns the image's path.
pub(crate) async fn landing_page(
    app: &TestApp,
    slug: &str,
    petition_id: i64,
    locale: &str,
    status: LandingStatus,
) -> String {
    let now = chrono::Utc::now();
    let mut picture = Raster::filled(120, 63, [10, 20, 30]);
    // Each page its own picture (a pixel from the slug), so each has its own hash.
    let shade = slug.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    picture.paint([shade, 0, 0], |x, y| x == 0 && y == 0);
    let png = picture.png().expect("a PNG");
    let image_id =
        landing::store_image(&app.db.write, png, "image/png", (120, 63), now).await.expect("stored");
    let created = landing::create(
        &app.db.write,
        landing_page::ActiveModel {
            slug: Set(slug.into()),
            petition_id: Set(petition_id),
            locale: Set(locale.into()),
            headline: Set(format!("Headline of {slug}")),
            body: Set(format!("Copy of {slug} <em>escaped</em>.\n\nSecond paragraph.")),
            image_url: Set(None),
            created_at: Set(now),
            status: Set(status),
            button_text: Set(Some(format!("Button of {slug}"))),
            video_url: Set(Some("https://video.example.org/watch?v=abc".into())),
            source: Set(Some("meta".into())),
            image_id: Set(Some(image_id)),
            image_alt: Set(Some(format!("Picture of {slug}"))),
            ..Default::default()
        },
    )
    .await
    .expect("landing page created");
    assert!(created);
    let sha: String = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            format!("SELECT sha256 FROM images WHERE id = {image_id}"),
        ))
        .await
        .expect("query")
        .expect("a row")
        .try_get("", "sha256")
        .expect("sha256");
    format!("/images/{sha}.png")
}

fn bare() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client")
}

#[tokio::test]
async fn a_landing_page_shows_its_own_content_image_and_form() {
    let app = spawn_app().await;
    let id = app.open_petition("staff").await;
    let image = landing_page(&app, "ad-one", id, "en", LandingStatus::Live).await;
    let res = app.get("/a/ad-one").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(html.contains("<h1>Headline of ad-one</h1>"), "{html}");
    assert!(html.contains("Copy of ad-one &lt;em&gt;escaped&lt;/em&gt;."), "copy is escaped");
    assert!(
        html.contains(&format!(r#"<img src="{image}" alt="Picture of ad-one" width="120" height="63">"#)),
        "{html}"
    );
    // The form posts to the petition, says where it was, and has the page's own button.
    assert!(html.contains(r#"action="/p/staff/sign""#) && html.contains(r#"name="via" value="ad-one""#));
    assert!(html.contains(">Button of ad-one</button>"));
    // The video is a plain link: nothing is loaded from its site.
    assert!(html.contains(r#"href="https://video.example.org/watch?v=abc""#));
    assert!(!html.contains("<iframe") && !html.contains("<script"));
    assert!(!html.contains(r#"src="https://"#), "no third-party request: {html}");
    // Share card: its own title, description, image with size and alt, canonical URL.
    for tag in [
        r#"<link rel="canonical" href="http://localhost:3000/a/ad-one">"#.to_owned(),
        r#"<meta property="og:title" content="Headline of ad-one">"#.to_owned(),
        r#"<meta property="og:description" content="Copy of ad-one &lt;em&gt;escaped&lt;/em&gt;.">"#
            .to_owned(),
        format!(r#"<meta property="og:image" content="http://localhost:3000{image}">"#),
        r#"<meta property="og:image:width" content="120">"#.to_owned(),
        r#"<meta property="og:image:height" content="63">"#.to_owned(),
        r#"<meta property="og:image:alt" content="Picture of ad-one">"#.to_owned(),
    ] {
        assert!(html.contains(&tag), "{tag}\n{html}");
    }
    // A link to the whole petition, and the count.
    assert!(html.contains(r#"<a href="/p/staff">Title of staff</a>"#));
    assert!(html.contains(r#"<progress value="0""#));
}

#[tokio::test]
async fn images_are_served_with_etag_size_and_long_caching() {
    let app = spawn_app().await;
    let id = app.open_petition("img").await;
    let image = landing_page(&app, "ad-img", id, "en", LandingStatus::Live).await;
    let res = app.get(&image).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
    assert!(res.headers()[header::CACHE_CONTROL].to_str().unwrap_or_default().contains("immutable"));
    let etag = res.headers()[header::ETAG].to_str().expect("ascii").to_owned();
    let bytes = res.bytes().await.expect("bytes");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()));
    let info = decoder.read_info().expect("a PNG");
    assert_eq!((info.info().width, info.info().height), (120, 63));
    let again = bare().get(app.url(&image)).header(header::IF_NONE_MATCH, &etag).send().await.expect("sent");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Wrong extension, unknown hash, not a hash at all.
    let sha = image.trim_start_matches("/images/").trim_end_matches(".png");
    for path in
        [format!("/images/{sha}.jpg"), format!("/images/{}.png", "0".repeat(64)), "/images/x.png".into()]
    {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn draft_retired_unknown_and_draft_petition_landing_pages_are_404() {
    let app = spawn_app().await;
    let open = app.open_petition("open").await;
    let draft = app.petition("secret", Kind::Petition, Status::Draft, "en").await;
    landing_page(&app, "ad-draft", open, "en", LandingStatus::Draft).await;
    landing_page(&app, "ad-retired", open, "en", LandingStatus::Retired).await;
    landing_page(&app, "ad-of-draft", draft, "en", LandingStatus::Live).await;
    for path in ["/a/ad-draft", "/a/ad-retired", "/a/ad-of-draft", "/a/nope", "/a/Bad_Slug", "/a/%3Cx%3E"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let html = res.text().await.expect("body");
        assert!(html.contains("Page not found") && !html.contains("Headline of"), "{path}: {html}");
        assert!(
            !html.contains("Title of open") && !html.contains("Title of secret"),
            "never another petition"
        );
    }
}

/// From an ad link to the export: the landing page, its source and the ad's `utm_*` are the
/// signer's first touch; click ids are not stored; the thanks page shares the landing page.
#[tokio::test]
async fn attribution_from_a_landing_page_reaches_the_export_and_the_thanks_page() {
    let app = spawn_app().await;
    let id = app.open_petition("attr").await;
    landing_page(&app, "ad-attr", id, "en", LandingStatus::Live).await;
    let html = app.get("/a/ad-attr?utm_campaign=nov-push&utm_medium=paid&fbclid=CLICKID").await.text().await;
    let html = html.expect("body");
    for field in [
        r#"name="source" value="meta""#,
        r#"name="landing_page" value="ad-attr""#,
        r#"name="utm_campaign" value="nov-push""#,
    ] {
        assert!(html.contains(field), "{field}: {html}");
    }
    assert!(!html.contains("CLICKID"));
    // The browser posts what the page gave it.
    let signer = Signer::new("ana@example.org")
        .with("source", "meta")
        .with("landing_page", "ad-attr")
        .with("utm_campaign", "nov-push")
        .with("utm_medium", "paid")
        .with("via", "ad-attr");
    let res = app.sign("attr", &signer).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/p/attr/thanks?a=ad-attr");
    let thanks = app.get("/p/attr/thanks?a=ad-attr").await.text().await.expect("body");
    assert!(thanks.contains("http://localhost:3000/a/ad-attr?ref="), "the landing page is shared: {thanks}");
    assert_eq!(app.recount(id).await, 1);
    let out = app.cli(&["export", "--petition", "attr"]);
    let csv = String::from_utf8(out.stdout).expect("UTF-8");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().expect("a header").clone();
    let row = reader.records().next().expect("a row").expect("valid");
    let cell = |name: &str| row[headers.iter().position(|h| h == name).expect("a column")].to_owned();
    assert_eq!((cell("source"), cell("landing_page")), ("meta".into(), "ad-attr".into()));
    assert_eq!((cell("utm_campaign"), cell("utm_medium")), ("nov-push".into(), "paid".into()));
    assert!(!csv.contains("CLICKID"));
}

/// The first touch wins: someone who came from one ad and later from another is credited to
/// the first, on the page and in the form.
#[tokio::test]
async fn the_first_touch_wins_over_a_later_landing_page() {
    let app = spawn_app().await;
    let id = app.open_petition("touch").await;
    landing_page(&app, "ad-first", id, "en", LandingStatus::Live).await;
    landing_page(&app, "ad-later", id, "en", LandingStatus::Live).await;
    // app.client keeps cookies, like a browser.
    app.get("/a/ad-first?utm_campaign=first").await;
    let later = app.get("/a/ad-later?utm_campaign=later").await.text().await.expect("body");
    assert!(later.contains(r#"name="landing_page" value="ad-first""#), "{later}");
    assert!(later.contains(r#"name="utm_campaign" value="first""#) && !later.contains(r#"value="later""#));
    // The page itself is the later one, and the form comes back to it.
    assert!(
        later.contains("<h1>Headline of ad-later</h1>") && later.contains(r#"name="via" value="ad-later""#)
    );
}

#[tokio::test]
async fn a_spanish_landing_page_speaks_spanish_unless_the_visitor_switches() {
    let app = spawn_app().await;
    let id = app.open_petition("bilingual").await;
    landing_page(&app, "anuncio", id, "es", LandingStatus::Live).await;
    // An English browser still gets the Spanish ad's page in Spanish.
    let html = bare()
        .get(app.url("/a/anuncio"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(html.contains(r#"<html lang="es">"#) && html.contains("Sobre la petición:"), "{html}");
    assert!(html.contains(r#"<a href="/p/bilingual" lang="en">Title of bilingual</a>"#), "{html}");
    // The switch wins.
    let html = bare().get(app.url("/a/anuncio?lang=en")).send().await.expect("sent").text().await;
    let html = html.expect("body");
    assert!(
        html.contains(r#"<html lang="en">"#) && html.contains(r#"<h1 lang="es">Headline of anuncio</h1>"#)
    );

    // An error in the form comes back to the landing page, in its language, values kept.
    let signer = Signer::new("no-es-un-correo").with("via", "anuncio").with("given_name", "María");
    let res = bare().post(app.url("/p/bilingual/sign")).form(&signer.fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(html.contains("<h1>Headline of anuncio</h1>") && html.contains("Escribe un correo electrónico"));
    assert!(html.contains(r#"value="María""#) && html.contains(r#"name="via" value="anuncio""#));
    // A `via` that is not a live landing page of this petition is ignored.
    let signer = Signer::new("bad").with("via", "../../etc");
    let res = bare().post(app.url("/p/bilingual/sign")).form(&signer.fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("body").contains("<h1>Title of bilingual</h1>"));
}

#[tokio::test]
async fn oversized_and_hostile_campaign_parameters_are_cut_or_dropped_never_reflected() {
    let app = spawn_app().await;
    let id = app.open_petition("hostile").await;
    landing_page(&app, "ad-h", id, "en", LandingStatus::Live).await;
    let long = "x".repeat(5000);
    let path = format!(
        "/a/ad-h?utm_source={long}&utm_term=%3Cscript%3Ealert(1)%3C/script%3E&ref=%22%3E%3Cimg&utm_content=a&utm_content=b"
    );
    let res = bare().get(app.url(&path)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains(r#"name="utm_term" value="&lt;script&gt;alert(1)&lt;/script&gt;""#),
        "escaped: {html}"
    );
    assert!(!html.contains(r#"name="ref""#), "a malformed share code is dropped");
    assert!(html.contains(r#"name="utm_content" value="a""#), "the first of a repeated parameter counts");
    let cut = format!(r#"name="utm_source" value="{}""#, "x".repeat(255));
    assert!(html.contains(&cut) && !html.contains(&"x".repeat(256)), "values are cut");
    // … and stored whole at that length.
    let mut signer = Signer::new("long@example.org");
    signer = signer.with("utm_source", &"y".repeat(300)).with("utm_campaign", &"z".repeat(255));
    assert_eq!(app.sign_fresh("hostile", &signer).await.status(), StatusCode::SEE_OTHER);
    let csv = String::from_utf8(app.cli(&["export", "--petition", "hostile"]).stdout).expect("UTF-8");
    assert!(csv.contains(&format!(",{},", "y".repeat(255))) && !csv.contains(&"y".repeat(256)), "{csv}");
    assert!(csv.contains(&"z".repeat(255)));
}

#[tokio::test]
async fn the_demo_has_an_english_and_a_spanish_landing_page_with_images() {
    let app = spawn_app().await;
    let out = app.cli(&["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for (slug, lang) in [("staffing-nurses", "en"), ("personal-seguro", "es")] {
        let html = app.get(&format!("/a/{slug}")).await.text().await.expect("body");
        assert!(html.contains(&format!(r#"<html lang="{lang}">"#)), "{slug}");
        let start = html.find(r#"<img src=""#).expect("a hero image") + 10;
        let src = &html[start..start + html[start..].find('"').unwrap_or_default()];
        assert!(html.contains(r#"width="1200" height="630""#), "{slug}");
        let res = app.get(src).await;
        assert_eq!(res.status(), StatusCode::OK, "{src}");
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/png");
    }
    // Twice changes nothing.
    let again = app.cli(&["demo"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already loaded; nothing changed"));
}

/// A poster's short link shows its landing page, credits the poster, and its QR code (SVG and
/// print-size PNG) decodes back to the short link.
#[tokio::test]
async fn short_codes_show_their_landing_page_and_their_qr_codes_decode_to_them() {
    let app = spawn_app().await;
    assert!(app.cli(&["demo"]).status.success());
    let res = bare().get(app.url("/q/station?utm_campaign=posters")).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(html.contains("<h1>Nurses are stretched too thin</h1>"), "{html}");
    assert!(html.contains(r#"<link rel="canonical" href="http://localhost:3000/a/staffing-nurses">"#));
    for field in [
        r#"name="source" value="qr-station""#,
        r#"name="landing_page" value="staffing-nurses""#,
        r#"name="utm_campaign" value="posters""#,
    ] {
        assert!(html.contains(field), "{field}: {html}");
    }
    // Typed from a poster in capitals, it still works.
    assert_eq!(app.get("/q/STATION").await.status(), StatusCode::OK);

    let png = app.get("/q/station/qr.png").await;
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()[header::CONTENT_TYPE], "image/png");
    let bytes = png.bytes().await.expect("bytes").to_vec();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().unwrap_or_default()];
    let frame = reader.next_frame(&mut pixels).expect("a frame");
    let (w, h) = (frame.width as usize, frame.height as usize);
    assert!(w >= 600 && w == h, "print size: {w}×{h}");
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[(y * w + x) * 3]);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (_, text) = grids[0].decode().expect("it decodes");
    assert_eq!(text, "http://localhost:3000/q/station");

    let svg = app.get("/q/sala/qr.svg").await;
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()[header::CONTENT_TYPE], "image/svg+xml");
    let svg = svg.text().await.expect("body");
    assert!(svg.contains("<svg") && svg.contains("viewBox"), "{svg}");

    for path in ["/q/nope", "/q/nope/qr.png", "/q/nope/qr.svg", "/q/%3Cx%3E", "/q/x/qr.gif"] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

/// People's visits are counted per landing page and day (scans per code), as aggregates; link
/// previews, crawlers, prefetches and `HEAD` are not.
#[tokio::test]
async fn visits_are_counted_per_day_without_bots_or_prefetches() {
    let app = spawn_app().await;
    let id = app.open_petition("visited").await;
    landing_page(&app, "ad-v", id, "en", LandingStatus::Live).await;
    let (lp, code_id): (i64, i64) = {
        let row = app
            .db
            .read
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.backend(),
                "SELECT id FROM landing_pages WHERE slug = 'ad-v'".to_owned(),
            ))
            .await
            .expect("query")
            .expect("a row");
        let lp: i64 = row.try_get("", "id").expect("id");
        landing::create_code(
            &app.db.write,
            entity::short_code::ActiveModel {
                code: Set("wall".into()),
                landing_page_id: Set(lp),
                created_at: Set(chrono::Utc::now()),
                ..Default::default()
            },
        )
        .await
        .expect("a code");
        let code = app
            .db
            .read
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.backend(),
                "SELECT id FROM short_codes WHERE code = 'wall'".to_owned(),
            ))
            .await
            .expect("query")
            .expect("a row")
            .try_get("", "id")
            .expect("id");
        (lp, code)
    };
    let phone =
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36";
    let get = |path: &'static str, headers: Vec<(&'static str, &'static str)>| {
        let url = app.url(path);
        async move {
            let mut req = bare().get(url);
            for (k, v) in headers {
                req = req.header(k, v);
            }
            assert_eq!(req.send().await.expect("sent").status(), StatusCode::OK, "{path}");
        }
    };
    for _ in 0..3 {
        get("/a/ad-v", vec![("user-agent", phone)]).await;
    }
    get("/a/ad-v", vec![("user-agent", "facebookexternalhit/1.1")]).await;
    get("/a/ad-v", vec![("user-agent", "WhatsApp/2.23")]).await;
    get("/a/ad-v", vec![("user-agent", phone), ("sec-purpose", "prefetch")]).await;
    get("/a/ad-v", vec![]).await;
    get("/q/wall", vec![("user-agent", phone)]).await;
    get("/q/wall?utm_campaign=Posters", vec![("user-agent", phone)]).await;
    get("/q/wall", vec![("user-agent", "Slackbot-LinkExpanding 1.0")]).await;
    let head = bare().head(app.url("/a/ad-v")).header("user-agent", phone).send().await.expect("sent");
    assert_eq!(head.status(), StatusCode::OK);

    // Counted in memory, stored every couple of seconds.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let visits = |code: i64| {
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(visits), 0) AS BIGINT) AS n FROM landing_visits \
             WHERE landing_page_id = {lp} AND short_code_id = {code} AND day = '{today}'"
        );
        let db = app.db.read.clone();
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql))
                .await
                .expect("query")
                .expect("a row");
            row.try_get::<i64>("", "n").expect("a sum")
        }
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while visits(0).await + visits(code_id).await < 5 {
        assert!(std::time::Instant::now() < deadline, "visits were not stored");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!((visits(0).await, visits(code_id).await), (3, 2), "people only, scans by code");
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(visits), 0) AS BIGINT) AS n FROM landing_visits \
         WHERE landing_page_id = {lp} AND utm_campaign = 'Posters'"
    );
    let row = app.db.read.query_one_raw(sea_orm::Statement::from_string(app.db.backend(), sql)).await;
    let by_campaign: i64 = row.expect("query").expect("a row").try_get("", "n").expect("a sum");
    assert_eq!(by_campaign, 1, "the visit's own campaign is counted");
}

/// A visit with nothing but the address (a poster's scan, a typed link) is credited to the page
/// or the poster and remembered, exactly as one with a link's parameters; one from another site
/// keeps its referrer.
#[tokio::test]
async fn a_plain_visit_or_scan_is_a_first_touch_like_any_other() {
    use crate::share::{hidden_fields, phone};
    let app = spawn_app().await;
    assert!(app.cli(&["demo"]).status.success());
    let field = |fields: &[(String, String)], name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    for (path, source) in [("/a/staffing-nurses", "meta"), ("/q/station", "qr-station")] {
        let plain = phone();
        let page = plain.get(app.url(path)).send().await.expect("sent").text().await.expect("page");
        let fields = hidden_fields(&page);
        assert_eq!(
            (field(&fields, "source"), field(&fields, "landing_page")),
            (source.into(), "staffing-nurses".into()),
            "{path}"
        );
        let linked = phone();
        let page = linked.get(app.url(&format!("{path}?utm_medium=poster"))).send().await.expect("sent");
        let linked_fields = hidden_fields(&page.text().await.expect("page"));
        assert_eq!(field(&linked_fields, "source"), source, "{path}");
        assert_eq!(field(&linked_fields, "utm_medium"), "poster");
        // The plain visit was remembered: the petition page carries it.
        let later =
            plain.get(app.url("/p/safe-staffing")).send().await.expect("sent").text().await.expect("page");
        let touch = |f: Vec<(String, String)>| f.into_iter().filter(|(k, _)| k != "via").collect::<Vec<_>>();
        assert_eq!(touch(hidden_fields(&later)), touch(fields), "{path}: the first touch is remembered");
    }
    let referred = phone();
    let page = referred
        .get(app.url("/a/staffing-nurses"))
        .header(header::REFERER, "https://m.facebook.com/some/path")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("page");
    assert_eq!(field(&hidden_fields(&page), "referrer"), "m.facebook.com");
}
