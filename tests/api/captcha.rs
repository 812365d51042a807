//! The optional human check (Turnstile or hCaptcha) on a petition's form, against a local
//! stand-in for the provider's verify address (the real ones cannot be reached from here): a
//! passed check counts, a failed, missing, slow or unreadable one holds the signature; the
//! provider is sent the secret and the answer, never the signer's address; the pages with the
//! widget let its script in, and no other page does.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Form, Router, extract::State, routing::post};
use reqwest::StatusCode;

use crate::{
    admin::{account, get},
    helpers::{Signer, TestApp, spawn_app_with},
    paper::scalar,
};

/// The provider's verify address, played locally: `pass` passes, `fail` fails, `slow` answers
/// after ten seconds, `broken` answers with something that is not JSON.
/// A form as posted: its fields in order.
type Posted = Vec<(String, String)>;

#[derive(Clone, Default)]
struct StandIn {
    seen: Arc<Mutex<Vec<Posted>>>,
    url: String,
}

async fn verify(
    State(s): State<StandIn>,
    Form(form): Form<Vec<(String, String)>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let response = form.iter().find(|(k, _)| k == "response").map(|(_, v)| v.clone()).unwrap_or_default();
    s.seen.lock().expect("lock").push(form);
    match response.as_str() {
        "pass" => axum::Json(serde_json::json!({ "success": true })).into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            axum::Json(serde_json::json!({ "success": true })).into_response()
        }
        "broken" => "<html>gateway</html>".into_response(),
        _ => axum::Json(serde_json::json!({ "success": false, "error-codes": ["invalid-input-response"] }))
            .into_response(),
    }
}

impl StandIn {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let s = Self { url: format!("http://127.0.0.1:{port}/siteverify"), ..Self::default() };
        let app = Router::new().route("/siteverify", post(verify)).with_state(s.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        s
    }
}

async fn sign(app: &TestApp, slug: &str, email: &str, answer: Option<&str>) -> reqwest::Response {
    let mut signer = Signer::new(email);
    if let Some(a) = answer {
        signer = signer.with("cf-turnstile-response", a);
    }
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    client.post(app.url(&format!("/p/{slug}/sign"))).form(&signer.fields).send().await.expect("sent")
}

async fn status_of(app: &TestApp, email: &str) -> String {
    let sql = format!("SELECT status AS n FROM signatures WHERE email = '{email}'");
    let row = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(app.db.backend(), sql))
        .await
        .expect("query")
        .expect("a signature");
    row.try_get("", "n").expect("status")
}

use sea_orm::ConnectionTrait as _;

#[tokio::test]
async fn a_passed_human_check_counts_and_any_other_holds_the_signature() {
    let provider = StandIn::start().await;
    let app = spawn_app_with(&[
        ("CAPTCHA_PROVIDER", "turnstile"),
        ("CAPTCHA_SITE_KEY", "0x4AAAAAAAtest"),
        ("CAPTCHA_SECRET_KEY", "secret-of-the-instance"),
        ("CAPTCHA_VERIFY_URL", &provider.url),
    ])
    .await;
    let id = app.open_petition("checked").await;
    app.open_petition("plain").await;
    crate::confirm::exec(&app, &format!("UPDATE petitions SET captcha = TRUE WHERE id = {id}")).await;

    // The widget, and a policy that lets its script and frame in, on this petition's pages only.
    for path in ["/p/checked", "/embed/checked"] {
        let res = app.client.get(app.url(path)).send().await.expect("sent");
        let csp = res.headers()["content-security-policy"].to_str().expect("ASCII").to_owned();
        assert!(
            csp.contains("script-src 'self' https://challenges.cloudflare.com")
                && csp.contains("frame-src https://challenges.cloudflare.com")
                && csp.contains("object-src 'none'"),
            "{path}: {csp}"
        );
        let html = res.text().await.expect("page");
        assert!(
            html.contains(r#"<div class="cf-turnstile" data-sitekey="0x4AAAAAAAtest">"#),
            "{path}: {html}"
        );
        assert!(html.contains(r#"src="https://challenges.cloudflare.com/turnstile/v0/api.js""#), "{path}");
    }
    let res = app.client.get(app.url("/p/plain")).send().await.expect("sent");
    assert!(!res.headers()["content-security-policy"].to_str().expect("ASCII").contains("cloudflare"));
    assert!(!res.text().await.expect("page").contains("cf-turnstile"));
    // A landing page of the campaign, and the form sent back with an error, carry it too.
    crate::landing::landing_page(&app, "checked-ad", id, "en", entity::landing_page::Status::Live).await;
    let res = app.client.get(app.url("/a/checked-ad")).send().await.expect("sent");
    let csp = res.headers()["content-security-policy"].to_str().expect("ASCII").to_owned();
    assert!(csp.contains("frame-src https://challenges.cloudflare.com"), "{csp}");
    assert!(res.text().await.expect("page").contains(r#"class="cf-turnstile""#));
    for extra in [None, Some("checked-ad")] {
        let mut signer = Signer::new("not an address");
        if let Some(via) = extra {
            signer = signer.with("via", via);
        }
        let res =
            app.client.post(app.url("/p/checked/sign")).form(&signer.fields).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let csp = res.headers()["content-security-policy"].to_str().expect("ASCII").to_owned();
        assert!(csp.contains("script-src 'self' https://challenges.cloudflare.com"), "{extra:?}: {csp}");
        assert!(res.text().await.expect("page").contains(r#"class="cf-turnstile""#), "{extra:?}");
    }

    let res = sign(&app, "checked", "pass@example.org", Some("pass")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "pass@example.org").await, "validated");
    for (email, answer) in [
        ("fail@example.org", Some("fail")),
        ("none@example.org", None),
        ("broken@example.org", Some("broken")),
        ("slow@example.org", Some("slow")),
    ] {
        let started = Instant::now();
        let res = sign(&app, "checked", email, answer).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{email}");
        assert_eq!(res.headers()["location"], "/p/checked/thanks", "{email}: nothing tells them");
        assert!(started.elapsed() < Duration::from_secs(8), "{email}: not kept waiting on the provider");
        assert_eq!(status_of(&app, email).await, "held", "{email}");
    }
    assert_eq!(app.count("checked").await, 1);
    // What the provider was told: the secret and the answer, nothing about the signer.
    let seen = provider.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 4, "a missing answer is not sent: {seen:?}");
    for form in &seen {
        let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["secret", "response"], "{form:?}");
        assert_eq!(form[0].1, "secret-of-the-instance");
    }
    // A petition without the check is not checked.
    assert_eq!(sign(&app, "plain", "plain@example.org", None).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "plain@example.org").await, "validated");
    assert_eq!(provider.seen.lock().expect("lock").len(), 4);
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE status = 'held'").await, 4);

    // Staff see the box where the instance has a check.
    let organizer = account(&app, "org@example.org", "organizer").await;
    let (_, editor) = get(&organizer, &app, &format!("/admin/campaigns/{id}")).await;
    // The staff preview shows the widget as the public page does.
    let res = organizer.get(app.url(&format!("/admin/campaigns/{id}/preview"))).send().await.expect("sent");
    assert!(res.headers()["content-security-policy"].to_str().expect("ASCII").contains("cloudflare"));
    assert!(res.text().await.expect("page").contains(r#"class="cf-turnstile""#));
    // Closed: no form, no widget, no policy that lets the provider in.
    crate::confirm::exec(&app, &format!("UPDATE petitions SET status = 'closed' WHERE id = {id}")).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.client.get(app.url("/p/checked")).send().await.expect("sent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = app.client.get(app.url("/p/checked")).send().await.expect("sent");
    assert!(!res.headers()["content-security-policy"].to_str().expect("ASCII").contains("cloudflare"));
    assert!(!res.text().await.expect("page").contains("cf-turnstile"));
    assert!(
        editor.contains("A human check on the form (Cloudflare Turnstile)")
            && editor.contains(r#"name="captcha" value="1" checked"#),
        "{editor}"
    );
}

#[tokio::test]
async fn without_a_provider_staff_see_no_box_and_a_petition_asking_for_one_is_not_held() {
    let app = spawn_app_with(&[]).await;
    let id = app.open_petition("checked").await;
    crate::confirm::exec(&app, &format!("UPDATE petitions SET captcha = TRUE WHERE id = {id}")).await;
    assert_eq!(sign(&app, "checked", "a@example.org", None).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, "a@example.org").await, "validated");
    let organizer = account(&app, "org@example.org", "organizer").await;
    let (_, editor) = get(&organizer, &app, &format!("/admin/campaigns/{id}")).await;
    assert!(!editor.contains("A human check"), "{editor}");
}

#[tokio::test]
async fn hcaptcha_is_checked_the_same_way_with_its_own_field_and_origins() {
    let provider = StandIn::start().await;
    let app = spawn_app_with(&[
        ("CAPTCHA_PROVIDER", "hcaptcha"),
        ("CAPTCHA_SITE_KEY", "10000000-ffff-ffff-ffff-000000000001"),
        ("CAPTCHA_SECRET_KEY", "0x0000000000000000000000000000000000000000"),
        ("CAPTCHA_VERIFY_URL", &provider.url),
    ])
    .await;
    let id = app.open_petition("checked").await;
    crate::confirm::exec(&app, &format!("UPDATE petitions SET captcha = TRUE WHERE id = {id}")).await;
    let res = app.client.get(app.url("/p/checked")).send().await.expect("sent");
    let csp = res.headers()["content-security-policy"].to_str().expect("ASCII").to_owned();
    assert!(csp.contains("script-src 'self' https://hcaptcha.com https://*.hcaptcha.com"), "{csp}");
    let html = res.text().await.expect("page");
    assert!(html.contains(r#"<div class="h-captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001">"#));
    assert!(html.contains(r#"src="https://js.hcaptcha.com/1/api.js""#));
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for (email, field, answer) in [
        ("h@example.org", "h-captcha-response", "pass"),
        ("t@example.org", "cf-turnstile-response", "pass"),
        ("f@example.org", "h-captcha-response", "fail"),
    ] {
        let signer = Signer::new(email).with(field, answer);
        let res = client.post(app.url("/p/checked/sign")).form(&signer.fields).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{email}");
    }
    assert_eq!(status_of(&app, "h@example.org").await, "validated");
    assert_eq!(status_of(&app, "t@example.org").await, "held", "the other provider's field is not read");
    assert_eq!(status_of(&app, "f@example.org").await, "held");
}
