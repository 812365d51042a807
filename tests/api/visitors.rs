//! The visitor: signed cookies, language choice, and the words each page shows in it.

use entity::petition::{Kind, Status};
use reqwest::{StatusCode, header};
use undersigned::i18n::{self, Locale};

use crate::helpers::{Signer, TestApp, spawn_app};

/// A client without a cookie store, so each request says exactly which cookies it sends.
fn bare() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client")
}

async fn page_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (StatusCode, Vec<String>, String) {
    let mut req = bare().get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("request sent");
    let cookies = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .collect();
    (res.status(), cookies, res.text().await.expect("body"))
}

/// `name=value` of a `Set-Cookie` header.
fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap_or_default()
}

#[tokio::test]
async fn first_touch_cookies_are_signed_and_forgeries_are_ignored() {
    let app = spawn_app().await;
    app.open_petition("sig").await;
    let (_, cookies, _) = page_with(&app, "/p/sig?utm_source=meta&utm_campaign=nov", &[]).await;
    let first = cookies.iter().find(|c| c.starts_with("us_ft=")).expect("a first-touch cookie");
    assert!(
        first.contains("HttpOnly") && first.contains("SameSite=Lax") && first.contains("Max-Age=2592000")
    );
    let real = pair(first);

    // The real cookie is honoured on a later visit, whatever that visit's own parameters.
    let (_, _, html) = page_with(&app, "/p/sig?utm_source=other", &[("cookie", real)]).await;
    assert!(html.contains(r#"name="utm_source" value="meta""#), "{html}");
    assert!(!html.contains("other"));

    // Forged, tampered, truncated or foreign cookies are treated as absent: this visit's own
    // parameters count instead, and no error is shown.
    let value = real.trim_start_matches("us_ft=");
    let tampered = format!("us_ft={}", value.replace("meta", "evil"));
    let truncated = format!("us_ft={}", &value[..value.len() / 2]);
    let forged = "us_ft=utm_source%3Devil".to_owned();
    let garbage = "us_ft=%%%; us_ft=; =x; ;;".to_owned();
    for cookie in [tampered, truncated, forged, garbage] {
        let (status, cookies, html) =
            page_with(&app, "/p/sig?utm_source=honest", &[("cookie", &cookie)]).await;
        assert_eq!(status, StatusCode::OK, "{cookie}");
        assert!(!html.contains("evil") && !html.contains(r#"value="meta""#), "{cookie}: {html}");
        assert!(html.contains(r#"name="utm_source" value="honest""#), "{cookie}");
        assert!(cookies.iter().any(|c| c.starts_with("us_ft=")), "the honest first touch is remembered");
    }
}

#[tokio::test]
async fn a_signed_cookie_from_another_instance_is_ignored() {
    let app = spawn_app().await;
    app.open_petition("keys").await;
    let (_, cookies, _) = page_with(&app, "/p/keys?utm_source=elsewhere", &[]).await;
    let foreign = pair(cookies.iter().find(|c| c.starts_with("us_ft=")).expect("a cookie")).to_owned();
    // A server with another secret key refuses the cookie.
    let server = crate::helpers::ServerProcess::start_with(
        &app.db_url,
        &[("SECRET_KEY", "a-different-secret-a-different-secret-0123")],
    )
    .await;
    let html = bare()
        .get(format!("{}/p/keys", server.address))
        .header("cookie", &foreign)
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    assert!(html.contains("Title of keys") && !html.contains("elsewhere"), "{html}");
}

#[tokio::test]
async fn the_language_comes_from_the_switch_then_the_cookie_then_the_browser_then_the_page() {
    let app = spawn_app().await;
    app.petition("lang", Kind::Petition, Status::Open, "en").await;
    app.petition("es-page", Kind::Petition, Status::Open, "es").await;

    // The browser asks for Spanish: the page speaks Spanish around the petition's own English.
    let (_, _, html) = page_with(&app, "/p/lang", &[("accept-language", "es-MX,es;q=0.9,en;q=0.5")]).await;
    assert!(html.contains(r#"<html lang="es">"#) && html.contains("Firma la petición"), "{html}");
    assert!(html.contains(r#"<h1 lang="en">Title of lang</h1>"#), "the petition keeps its language");

    // No language of ours in the browser: the page's own language.
    let (_, _, html) = page_with(&app, "/p/es-page", &[("accept-language", "fr-FR,de;q=0.5")]).await;
    assert!(html.contains(r#"<html lang="es">"#));
    let (_, _, html) = page_with(&app, "/p/lang", &[("accept-language", "fr-FR")]).await;
    assert!(html.contains(r#"<html lang="en">"#));

    // The switch wins over the browser and is remembered in a signed cookie.
    let (_, cookies, html) = page_with(&app, "/p/lang?lang=es", &[("accept-language", "en")]).await;
    assert!(html.contains(r#"<html lang="es">"#));
    let remembered = cookies.iter().find(|c| c.starts_with("us_lang=")).expect("a language cookie");
    let (_, _, html) = page_with(&app, "/", &[("cookie", pair(remembered)), ("accept-language", "en")]).await;
    assert!(html.contains(r#"<html lang="es">"#) && html.contains("Peticiones y cartas abiertas"), "{html}");
    // … and a forged language cookie is not.
    let (_, _, html) = page_with(&app, "/", &[("cookie", "us_lang=es"), ("accept-language", "en")]).await;
    assert!(html.contains(r#"<html lang="en">"#));

    // Unknown switch values and garbage headers fall back, never fail, never echo.
    for (path, accept) in [
        ("/p/lang?lang=zz", "en"),
        ("/p/lang?lang=%3Cscript%3E", "*;q=x"),
        ("/p/lang", "*;q=x, ;;, es;q=abc"),
        ("/p/lang?lang=", &"x-".repeat(2048)),
        // A repeated or broken parameter from an ad link is ignored, not refused.
        ("/p/lang?utm_source=a&utm_source=b&ref=%FF", "en"),
    ] {
        let (status, _, html) = page_with(&app, path, &[("accept-language", accept)]).await;
        assert_eq!(status, StatusCode::OK, "{path} {accept}");
        assert!(html.contains(r#"<html lang="en">"#), "{path}");
        assert!(!html.contains("<script>") && !html.contains("zz"), "{path}");
    }

    // The switch is on the page, and points at the same page.
    let (_, _, html) = page_with(&app, "/p/lang", &[]).await;
    assert!(html.contains(r#"<a href="/p/lang?lang=es" lang="es" hreflang="es">Español</a>"#), "{html}");
}

/// Every English phrase of the catalogue that differs in Spanish.
fn english_phrases() -> Vec<String> {
    let spanish: std::collections::HashMap<String, Option<String>> =
        i18n::messages(Locale::Es).into_iter().collect();
    let mut phrases: Vec<String> = i18n::messages(Locale::En)
        .into_iter()
        .filter_map(|(id, text)| Some((text?, spanish.get(&id)?.clone())))
        .filter(|(en, es)| Some(en) != es.as_ref())
        .map(|(en, _)| en)
        .collect();
    // Messages with numbers in them, by their fixed words.
    phrases.extend(["signatures".into(), "signature<".into(), "Goal:".into(), "at most".into()]);
    phrases
}

/// Each public page, asked for in Spanish, has no English phrase of the catalogue in it.
#[tokio::test]
async fn no_english_leaks_onto_a_spanish_page() {
    let app = spawn_app().await;
    app.petition("en-petition", Kind::Petition, Status::Open, "en").await;
    app.petition("carta", Kind::Letter, Status::Open, "es").await;
    app.petition("cerrada", Kind::Petition, Status::Closed, "en").await;
    let es = [("accept-language", "es")];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .default_headers(
            [(header::ACCEPT_LANGUAGE, "es".parse().expect("a header value"))].into_iter().collect(),
        )
        .build()
        .expect("a client");
    let post = |path: &'static str, signer: Signer| {
        let client = client.clone();
        let url = app.url(path);
        async move {
            let res = client.post(url).form(&signer.fields).send().await.expect("sent");
            (res.status(), res.text().await.expect("body"))
        }
    };
    assert!(app.cli(&["demo"]).status.success());
    let mut pages: Vec<(String, StatusCode, String)> = Vec::new();
    for path in [
        "/",
        "/p/en-petition",
        "/p/carta",
        "/p/cerrada",
        "/p/nowhere",
        "/favicon.php",
        "/a/staffing-nurses?lang=es",
        "/embed/en-petition",
        "/embed/en-petition/thanks?ref=Abc123",
    ] {
        let (status, _, html) = page_with(&app, path, &es).await;
        pages.push((path.into(), status, html));
    }
    let (status, html) =
        post("/p/en-petition/sign", Signer::new("nope").with("comment", &"c".repeat(2001))).await;
    pages.push(("422 form".into(), status, html));
    let (status, html) = post("/p/en-petition/sign", Signer::new("ana@example.org")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let res = client.get(app.url("/p/en-petition/thanks")).send().await.expect("sent");
    pages.push(("thanks".into(), res.status(), res.text().await.expect("body")));
    let _ = html;
    let (status, html) = post("/p/en-petition/sign", Signer::new("ana@example.org")).await;
    pages.push(("already signed".into(), status, html));
    let (status, html) = post("/p/cerrada/sign", Signer::new("ana@example.org")).await;
    pages.push(("closed 409".into(), status, html));
    let huge = "a".repeat(200 * 1024);
    let (status, html) =
        post("/p/en-petition/sign", Signer::new("b@example.org").with("comment", &huge)).await;
    pages.push(("413".into(), status, html));
    let res = client
        .post(app.url("/p/en-petition/sign"))
        .header("content-type", "application/json")
        .body("{}")
        .send();
    let res = res.await.expect("sent");
    pages.push(("400".into(), res.status(), res.text().await.expect("body")));

    let english = english_phrases();
    assert!(english.len() > 40, "the catalogue was read: {}", english.len());
    for (name, status, html) in &pages {
        assert!(html.contains(r#"<html lang="es">"#), "{name} ({status}) is not in Spanish: {html}");
        // The petition's own text is English where it was written in English; that is content,
        // not the interface, and carries its own `lang`.
        for phrase in &english {
            assert!(!html.contains(phrase.as_str()), "{name} ({status}) shows English {phrase:?}: {html}");
        }
    }
    let statuses: Vec<u16> = pages.iter().map(|(_, s, _)| s.as_u16()).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 404, 404, 200, 200, 200, 422, 200, 200, 409, 413, 400]);
}

#[tokio::test]
async fn the_icon_is_served_so_browsers_log_no_error() {
    let app = spawn_app().await;
    for path in ["/favicon.ico", "/favicon.svg"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], "image/svg+xml");
        assert!(res.text().await.expect("body").starts_with("<svg"));
    }
}

/// A petition's own translation is shown to readers of that language, marked with its `lang`;
/// others see the original.
#[tokio::test]
async fn readers_get_the_petition_in_their_language_where_staff_translated_it() {
    let app = spawn_app().await;
    assert!(app.cli(&["demo"]).status.success());
    let (_, _, es) = page_with(&app, "/p/safe-staffing", &[("accept-language", "es")]).await;
    assert!(es.contains("<h1>El personal suficiente salva vidas</h1>"), "{es}");
    assert!(es.contains("Pedimos a Riverside Health") && !es.contains("Nurses and aides"));
    assert!(es.contains(r#"<meta property="og:title" content="El personal suficiente salva vidas">"#));
    let (_, _, en) = page_with(&app, "/p/safe-staffing", &[("accept-language", "en")]).await;
    assert!(en.contains("<h1>Safe staffing saves lives</h1>") && !en.contains("salva vidas"), "{en}");
    // Untranslated text keeps its own language, marked.
    let (_, _, letter) = page_with(&app, "/p/letter-to-the-board", &[("accept-language", "es")]).await;
    assert!(letter.contains(r#"<h1 lang="en">Open letter to the Riverside Health board</h1>"#), "{letter}");
    // The Spanish ad's page names the petition in Spanish.
    let (_, _, landing) = page_with(&app, "/a/personal-seguro", &[]).await;
    assert!(
        landing.contains(r#"<a href="/p/safe-staffing">El personal suficiente salva vidas</a>"#),
        "{landing}"
    );
}
