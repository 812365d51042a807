//! Share buttons (`/p/{slug}/share/{network}`): every one goes through the recording redirect,
//! which only ever sends the visitor to a network's dialog with the petition's own link.

use entity::{
    landing_page::Status as LandingStatus,
    petition::{Kind, Status},
};
use reqwest::{StatusCode, header};
use sea_orm::ConnectionTrait;

use crate::{
    helpers::{Signer, TestApp, spawn_app},
    landing::landing_page,
};

const PHONE: &str =
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/156.0 Mobile Safari/537.36";

/// A client like a phone's browser: its own cookies, no redirects followed.
pub(crate) fn phone() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .user_agent(PHONE)
        .build()
        .expect("a client")
}

/// Where a share link sends the visitor (`Location`), after checking it is a no-store `302`.
pub(crate) async fn follow(client: &reqwest::Client, app: &TestApp, href: &str) -> String {
    let res = client.get(app.url(href)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::FOUND, "{href}");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store", "{href}");
    assert_eq!(res.headers()[header::REFERRER_POLICY], "no-referrer", "{href}");
    res.headers()[header::LOCATION].to_str().expect("ASCII").to_owned()
}

/// Every value of a URL's query, decoded.
pub(crate) fn query_values(url: &str) -> Vec<String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes()).map(|(_, v)| v.into_owned()).collect()
}

/// The share links (`href`s) in a page.
fn share_hrefs(html: &str, slug: &str) -> Vec<String> {
    let prefix = format!("href=\"/p/{slug}/share/");
    html.match_indices(&prefix)
        .map(|(at, _)| {
            let rest = &html[at + 6..];
            rest[..rest.find('"').unwrap_or(rest.len())].replace("&amp;", "&")
        })
        .collect()
}

/// The hidden fields of a page's form, as a browser would post them.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
                Some(tag[start..start + tag[start..].find('"')?].replace("&amp;", "&"))
            };
            Some((attr("name")?, attr("value")?))
        })
        .collect()
}

/// Signs `slug` with `client` and returns the signer's share code (from the thanks page).
/// `form_page` is the page the form was on, whose hidden fields are posted with it.
async fn sign_and_get_code(client: &reqwest::Client, app: &TestApp, slug: &str, email: &str) -> String {
    sign_from(client, app, slug, email, "").await
}

pub(crate) async fn sign_from(
    client: &reqwest::Client,
    app: &TestApp,
    slug: &str,
    email: &str,
    form_page: &str,
) -> String {
    let mut signer = Signer::new(email);
    for (k, v) in hidden_fields(form_page) {
        signer = signer.with(&k, &v);
    }
    let res =
        client.post(app.url(&format!("/p/{slug}/sign"))).form(&signer.fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let thanks = client.get(app.url(&format!("/p/{slug}/thanks"))).send().await.expect("sent");
    let html = thanks.text().await.expect("a page");
    let marker = format!("http://localhost:3000/p/{slug}?ref=");
    let at = html.find(&marker).expect("the signer's own link") + marker.len();
    html[at..].chars().take_while(char::is_ascii_alphanumeric).collect()
}

pub(crate) async fn one_i64(app: &TestApp, sql: String) -> i64 {
    let row = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(app.db.backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("a number")
}

#[tokio::test]
async fn every_button_on_the_thanks_page_goes_through_the_redirect_and_credits_the_signer() {
    let app = spawn_app().await;
    app.open_petition("shared").await;
    let client = phone();
    let code = sign_and_get_code(&client, &app, "shared", "sharer@example.org").await;
    let thanks =
        client.get(app.url("/p/shared/thanks")).send().await.expect("sent").text().await.expect("page");
    let hrefs = share_hrefs(&thanks, "shared");
    assert_eq!(hrefs.len(), 10, "one button per network: {thanks}");
    assert!(thanks.contains("Help us reach 1,000 signatures."), "the next goal");
    assert!(thanks.contains(r#"data-copy="personal-link""#), "a copy button for the script");
    assert!(thanks.contains(r#"<script src="/static/app.js?v="#));
    let mut networks = Vec::new();
    for href in &hrefs {
        assert!(href.ends_with(&format!("?ref={code}")), "{href}");
        let network = href.trim_start_matches("/p/shared/share/").split('?').next().unwrap_or_default();
        let target = follow(&client, &app, href).await;
        let link = format!("http://localhost:3000/p/shared?ref={code}&source=share-{network}");
        let carried = query_values(&target).iter().any(|v| v == &link || v.ends_with(&format!(" {link}")));
        assert!(carried, "{network}: {target} carries {link}");
        let expected_start = match network {
            "email" => "mailto:?",
            "sms" => "sms:?",
            _ => "https://",
        };
        assert!(target.starts_with(expected_start), "{target}");
        networks.push(network.to_owned());
    }
    networks.sort();
    assert_eq!(
        networks,
        ["bluesky", "email", "facebook", "linkedin", "reddit", "sms", "telegram", "threads", "whatsapp", "x"]
    );

    // The script is served, cacheable for good.
    let js = app.get("/static/app.js").await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()[header::CONTENT_TYPE].to_str().unwrap_or_default().starts_with("text/javascript"));
    assert!(js.text().await.unwrap_or_default().contains("data-copy"));
}

#[tokio::test]
async fn pages_before_signing_have_a_few_buttons_through_the_redirect() {
    let app = spawn_app().await;
    let id = app.open_petition("small").await;
    landing_page(&app, "ad-share", id, "es", LandingStatus::Live).await;
    let page = app.get("/p/small").await.text().await.expect("page");
    assert_eq!(
        share_hrefs(&page, "small"),
        ["/p/small/share/whatsapp", "/p/small/share/facebook", "/p/small/share/x", "/p/small/share/email"]
    );
    let landing = app.get("/a/ad-share").await.text().await.expect("page");
    let hrefs = share_hrefs(&landing, "small");
    assert_eq!(hrefs.len(), 4);
    assert!(hrefs.iter().all(|h| h.ends_with("?a=ad-share")), "{hrefs:?}");
    // From a landing page, the landing page is shared, in its language.
    let target = follow(&phone(), &app, "/p/small/share/whatsapp?a=ad-share").await;
    let text = query_values(&target).join(" ");
    assert!(text.contains("http://localhost:3000/a/ad-share?source=share-whatsapp"), "{text}");
    assert!(text.contains("Acabo de firmar"), "the Spanish share text: {text}");
}

#[tokio::test]
async fn the_redirect_goes_nowhere_else_and_refuses_what_it_does_not_know() {
    let app = spawn_app().await;
    let id = app.open_petition("safe-share").await;
    app.petition("hidden", Kind::Petition, Status::Draft, "en").await;
    let other = app.open_petition("other").await;
    landing_page(&app, "ad-other", other, "en", LandingStatus::Live).await;
    landing_page(&app, "ad-retired", id, "en", LandingStatus::Retired).await;
    let client = phone();
    for path in [
        "/p/safe-share/share/myspace",
        "/p/safe-share/share/",
        "/p/safe-share/share/X",
        "/p/hidden/share/x",
        "/p/nobody/share/x",
    ] {
        let res = client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for query in [
        "?ref=%3Cscript%3E&url=https://evil.example/&next=//evil.example&to=https%3A%2F%2Fevil.example",
        "?ref=../../x&a=https://evil.example",
        "?a=ad-other",
        "?a=ad-retired",
        "?a=%00%ff",
    ] {
        for network in ["x", "facebook", "email"] {
            let target = follow(&client, &app, &format!("/p/safe-share/share/{network}{query}")).await;
            assert!(!target.contains("evil"), "{target}");
            assert!(!target.contains("ref%3D"), "a malformed code is dropped: {target}");
            let link = "http://localhost:3000/p/safe-share?source=share-";
            assert!(query_values(&target).iter().any(|v| v.contains(link)), "{query}: {target}");
        }
    }
}

#[tokio::test]
async fn people_s_clicks_are_counted_per_network_and_day_without_bots() {
    let app = spawn_app().await;
    let id = app.open_petition("clicked").await;
    let client = phone();
    for _ in 0..3 {
        follow(&client, &app, "/p/clicked/share/whatsapp").await;
    }
    follow(&client, &app, "/p/clicked/share/x?ref=Ab12Cd34").await;
    let bot = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("facebookexternalhit/1.1")
        .build()
        .expect("a client");
    follow(&bot, &app, "/p/clicked/share/whatsapp").await;
    let anonymous =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    follow(&anonymous, &app, "/p/clicked/share/whatsapp").await;
    let prefetch = client
        .get(app.url("/p/clicked/share/whatsapp"))
        .header("sec-purpose", "prefetch")
        .send()
        .await
        .expect("sent");
    assert_eq!(prefetch.status(), StatusCode::FOUND);

    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let clicks = |network: &'static str| {
        one_i64(
            &app,
            format!(
                "SELECT CAST(COALESCE(SUM(clicks), 0) AS BIGINT) AS n FROM share_clicks \
                 WHERE petition_id = {id} AND network = '{network}' AND day = '{today}'"
            ),
        )
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while clicks("whatsapp").await + clicks("x").await < 4 {
        assert!(std::time::Instant::now() < deadline, "clicks were not stored");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!((clicks("whatsapp").await, clicks("x").await), (3, 1), "people only");
}

#[tokio::test]
async fn referrals_are_credited_across_two_generations() {
    let app = spawn_app().await;
    let id = app.open_petition("chain").await;
    let first = phone();
    let a = sign_and_get_code(&first, &app, "chain", "first@example.org").await;
    // The second signer opens the first one's WhatsApp share.
    let second = phone();
    let target = follow(&first, &app, &format!("/p/chain/share/whatsapp?ref={a}")).await;
    let link = query_values(&target).join(" ");
    let path = link.split("http://localhost:3000").nth(1).expect("our link").to_owned();
    let page = second.get(app.url(&path)).send().await.expect("sent").text().await.expect("page");
    let fields = hidden_fields(&page);
    assert!(fields.contains(&("ref".to_owned(), a.clone())), "{fields:?}");
    let b = sign_from(&second, &app, "chain", "second@example.org", &page).await;
    // The third arrives by the second's email share.
    let third = phone();
    let target = follow(&second, &app, &format!("/p/chain/share/email?ref={b}")).await;
    let body = query_values(&target).join(" ");
    let path = body.split("http://localhost:3000").nth(1).expect("our link").to_owned();
    assert_eq!(third.get(app.url(&path)).send().await.expect("sent").status(), StatusCode::OK);
    // This one posts without the hidden fields: the remembered first touch credits it.
    sign_and_get_code(&third, &app, "chain", "third@example.org").await;

    let credited = |email: &str, code: &str, source: &str| {
        format!(
            "SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {id} AND email = '{email}' \
             AND ref_code = '{code}' AND source = '{source}'"
        )
    };
    assert_eq!(one_i64(&app, credited("second@example.org", &a, "share-whatsapp")).await, 1);
    assert_eq!(one_i64(&app, credited("third@example.org", &b, "share-email")).await, 1);
    // A fourth comes straight from the first signer's link on X (no click through here).
    let fourth = phone();
    let page = fourth.get(app.url(&format!("/p/chain?ref={a}&source=share-x"))).send().await.expect("sent");
    let page = page.text().await.expect("page");
    sign_from(&fourth, &app, "chain", "fourth@example.org", &page).await;
    assert_eq!(app.count("chain").await, 4);

    // The sharing report, once the two clicks are stored.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let stored = format!(
        "SELECT CAST(COALESCE(SUM(clicks), 0) AS BIGINT) AS n FROM share_clicks WHERE petition_id = {id}"
    );
    while one_i64(&app, stored.clone()).await < 2 {
        assert!(std::time::Instant::now() < deadline, "clicks were not stored");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let out = app.cli(&["report", "--petition", "chain", "--sharing", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8(out.stdout).expect("UTF-8");
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect();
    let row = |section: &str, key: &str| {
        rows.iter()
            .find(|r| r[0] == section && r[1] == key)
            .unwrap_or_else(|| panic!("no {section} {key} in {rows:?}"))
            .clone()
    };
    assert_eq!(row("total", "total")[2..5], ["2", "3", "1.50"]);
    assert_eq!(row("network", "whatsapp")[2..5], ["1", "1", "1.00"]);
    assert_eq!(row("network", "email")[2..5], ["1", "1", "1.00"]);
    assert_eq!(row("network", "x")[2..5], ["0", "1", ""], "a signature without a counted click");
    assert_eq!(row("network", "sms")[2..5], ["0", "0", ""]);
    assert_eq!(row("referrals", "referred_signers")[3], "3");
    assert_eq!(row("referrals", "sharers")[3], "2");
    assert_eq!(row("referrals", "signatures_per_sharer")[3], "1.50");
    assert_eq!(row("referrals", "deepest_chain")[3], "2");
    let sharer = |code: &str| {
        let r = row("sharer", code);
        (r[3].clone(), r[5].clone())
    };
    assert_eq!(sharer(&a), ("2".to_owned(), "3".to_owned()), "brought two, reached three");
    assert_eq!(sharer(&b), ("1".to_owned(), "1".to_owned()));
    let sharers: Vec<&String> = rows.iter().filter(|r| r[0] == "sharer").map(|r| &r[1]).collect();
    assert_eq!(sharers, [&a, &b], "best first");
    assert!(!out.contains("@example.org"), "no personal data: {out}");
    let text = app.cli(&["report", "--petition", "chain", "--sharing"]);
    let text = String::from_utf8(text.stdout).expect("UTF-8");
    assert!(text.contains("deepest chain") && text.contains(&a), "{text}");

    // Staff invalidate the second signature: the tree holds counted signatures only, so it
    // loses the second signer and the one the second brought, and the second is no sharer.
    app.db
        .write
        .execute_unprepared("UPDATE signatures SET status = 'invalidated' WHERE email = 'second@example.org'")
        .await
        .expect("updated");
    let out = app.cli(&["report", "--petition", "chain", "--sharing", "--format", "csv"]);
    let out = String::from_utf8(out.stdout).expect("UTF-8");
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(out.as_bytes())
        .records()
        .map(|r| r.expect("a CSV row").iter().map(str::to_owned).collect())
        .collect();
    let figure = |key: &str| rows.iter().find(|r| r[0] == "referrals" && r[1] == key).map(|r| r[3].clone());
    assert_eq!(figure("referred_signers").as_deref(), Some("1"), "{out}");
    assert_eq!(figure("deepest_chain").as_deref(), Some("1"));
    assert!(!out.contains(&b), "{out}");
}

/// In Spanish: the thanks page asks for the next goal and offers the copy button in Spanish,
/// and the shared message is the Spanish one.
#[tokio::test]
async fn the_thanks_page_and_the_shared_text_are_in_the_visitor_s_language() {
    let app = spawn_app().await;
    app.open_petition("es-share").await;
    let client = phone();
    let page = client.get(app.url("/p/es-share?lang=es")).send().await.expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    let code = sign_and_get_code(&client, &app, "es-share", "es@example.org").await;
    let thanks = client.get(app.url("/p/es-share/thanks")).send().await.expect("sent");
    let html = thanks.text().await.expect("a page");
    assert!(html.contains(r#"<html lang="es""#), "{html}");
    assert!(html.contains("Ayúdanos a llegar a"), "the next goal in Spanish: {html}");
    assert!(html.contains("Copiar enlace"), "the copy button in Spanish: {html}");
    let target = follow(&client, &app, &format!("/p/es-share/share/whatsapp?ref={code}")).await;
    let text = query_values(&target).join(" ");
    assert!(text.starts_with("Acabo de firmar esto."), "{text}");
    assert!(text.contains(&format!("/p/es-share?ref={code}&source=share-whatsapp")), "{text}");
}
