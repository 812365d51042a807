//! The security headers on every kind of page the server answers with: public pages, the
//! signing form's answers, the embed, the links from emails, error pages, JSON, staff pages and
//! exports. A policy without inline script, `object-src 'none'` and `base-uri 'none'`; no
//! sniffing; no framing but the embed's; `no-store` on staff pages and exports; and
//! `Strict-Transport-Security` when (and only when) the public address is https.

use entity::landing_page::Status as LandingStatus;
use reqwest::{StatusCode, header::HeaderMap};

use crate::{
    admin::account,
    helpers::{Signer, TestApp, spawn_app_with},
    landing::landing_page,
};

/// The headers every response carries, whatever it is.
fn check_common(what: &str, headers: &HeaderMap, https: bool) {
    let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    for part in ["object-src 'none'", "base-uri 'none'", "script-src 'self'", "default-src 'self'"] {
        assert!(csp.contains(part), "{what}: {part} missing from {csp:?}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{what}");
    assert!(headers.contains_key("referrer-policy"), "{what}");
    let hsts = headers.get("strict-transport-security").and_then(|v| v.to_str().ok());
    if https {
        assert_eq!(hsts, Some("max-age=31536000"), "{what}");
    } else {
        assert_eq!(hsts, None, "{what}: HSTS over plain http would lock browsers out");
    }
}

/// Whether the page may be framed by no one.
fn unframeable(what: &str, headers: &HeaderMap) {
    assert_eq!(headers.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]), "{what}");
    let csp = headers.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

fn no_store(what: &str, headers: &HeaderMap) {
    let cache = headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(cache.contains("no-store"), "{what}: Cache-Control {cache:?}");
}

async fn every_page_type(app: &TestApp, https: bool) {
    let id = app.open_petition("h").await;
    landing_page(app, "ad", id, "en", LandingStatus::Live).await;
    let plain =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let public = [
        ("home", "/", StatusCode::OK),
        ("petition page", "/p/h", StatusCode::OK),
        ("landing page", "/a/ad", StatusCode::OK),
        ("thanks page", "/p/h/thanks", StatusCode::OK),
        ("count feed", "/p/h/count.json", StatusCode::OK),
        ("stylesheet", "/static/app.css", StatusCode::OK),
        ("confirmation link", "/confirm/not-a-link", StatusCode::NOT_FOUND),
        ("unsubscribe link", "/unsubscribe/not-a-link", StatusCode::NOT_FOUND),
        ("not found", "/nowhere", StatusCode::NOT_FOUND),
        ("staff sign-in", "/admin/login", StatusCode::OK),
        ("staff page, signed out", "/admin", StatusCode::SEE_OTHER),
        ("API without a token", "/api/v1/petitions", StatusCode::UNAUTHORIZED),
        ("health", "/healthz", StatusCode::OK),
    ];
    for (what, path, status) in public {
        let res = plain.get(app.url(path)).send().await.expect("sent");
        assert_eq!(res.status(), status, "{what}");
        check_common(what, res.headers(), https);
        unframeable(what, res.headers());
    }
    for (what, path) in [("confirmation link", "/confirm/not-a-link"), ("staff sign-in", "/admin/login")] {
        let res = plain.get(app.url(path)).send().await.expect("sent");
        no_store(what, res.headers());
    }
    // The embed may be framed, by the configured partner only.
    let res = plain.get(app.url("/embed/h")).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    check_common("embed", res.headers(), https);
    assert!(!res.headers().contains_key("x-frame-options"));
    let csp = res.headers()["content-security-policy"].to_str().expect("ASCII");
    assert!(csp.contains("frame-ancestors https://partner.example"), "{csp}");
    // The signing form's answers: a refusal, a thanks.
    let res = plain.post(app.url("/p/h/sign")).form(&Signer::new("not an address").fields).send().await;
    let res = res.expect("sent");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    check_common("form with errors", res.headers(), https);
    let res = plain.post(app.url("/p/h/sign")).form(&Signer::new("ok@example.org").fields).send().await;
    let res = res.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    check_common("signed", res.headers(), https);
    // Staff pages and exports (signed in over plain http: the cookies of an https address
    // are `Secure`, and this client would not send them back).
    if https {
        return;
    }
    let staff = account(app, "org@example.org", "organizer").await;
    let staff_pages = [
        ("staff home", "/admin".to_owned()),
        ("dashboard", format!("/admin/campaigns/{id}/dashboard")),
        ("signatures", format!("/admin/campaigns/{id}/signatures")),
        ("export", format!("/admin/campaigns/{id}/export/signatures?format=csv")),
        ("counts export", format!("/admin/campaigns/{id}/export/counts.csv")),
    ];
    for (what, path) in staff_pages {
        let res = staff.get(app.url(&path)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "{what}");
        check_common(what, res.headers(), https);
        unframeable(what, res.headers());
        no_store(what, res.headers());
    }
}

#[tokio::test]
async fn every_page_type_carries_the_security_headers() {
    let app = spawn_app_with(&[("EMBED_ORIGINS", "https://partner.example")]).await;
    every_page_type(&app, false).await;
}

#[tokio::test]
async fn served_over_https_every_page_type_asks_browsers_to_keep_to_it() {
    let app = spawn_app_with(&[
        ("EMBED_ORIGINS", "https://partner.example"),
        ("PUBLIC_URL", "https://sign.example.org"),
    ])
    .await;
    every_page_type(&app, true).await;
}
