//! The embed: the signing form in partner sites' iframes.

use entity::petition::{Kind, Status};
use reqwest::{StatusCode, header};

use crate::helpers::{Signer, spawn_app, spawn_app_with};

const PARTNER: &str = "https://partner.example";

fn bare() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client")
}

fn frame_ancestors(res: &reqwest::Response) -> String {
    let csp =
        res.headers().get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    csp.split(';').map(str::trim).find(|d| d.starts_with("frame-ancestors")).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn only_the_embed_may_be_framed_and_only_by_the_configured_origins() {
    let app = spawn_app_with(&[("EMBED_ORIGINS", "https://partner.example, https://union.example")]).await;
    app.open_petition("framed").await;
    let res = app.get("/embed/framed").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(frame_ancestors(&res), "frame-ancestors https://partner.example https://union.example");
    assert!(res.headers().get(header::X_FRAME_OPTIONS).is_none(), "no DENY on the embed");
    for path in ["/", "/p/framed", "/p/framed/thanks", "/nowhere"] {
        let res = app.get(path).await;
        assert_eq!(frame_ancestors(&res), "frame-ancestors 'none'", "{path}");
        assert_eq!(res.headers()[header::X_FRAME_OPTIONS], "DENY", "{path}");
    }

    // Unset, no site may frame it.
    let closed = spawn_app().await;
    closed.open_petition("framed").await;
    assert_eq!(frame_ancestors(&closed.get("/embed/framed").await), "frame-ancestors 'none'");
}

/// Signing in the frame works without cookies: attribution comes in the form, the thanks page
/// gets the share code in its link, and everything stays frameable by the partner.
#[tokio::test]
async fn signing_in_the_embed_needs_no_cookie() {
    let app = spawn_app_with(&[("EMBED_ORIGINS", PARTNER)]).await;
    let id = app.open_petition("partner").await;
    let html = bare()
        .get(app.url("/embed/partner?utm_campaign=newsletter"))
        .header(header::REFERER, "https://partner.example/news/article-1?reader=ana@example.org")
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    for field in [
        r#"name="embed" value="1""#,
        r#"name="source" value="embed""#,
        r#"name="referrer" value="partner.example""#,
        r#"name="utm_campaign" value="newsletter""#,
    ] {
        assert!(html.contains(field), "{field}: {html}");
    }
    assert!(!html.contains("reader") && !html.contains("header class=\"site\""), "{html}");

    // A mistake stays in the frame, values kept.
    let signer = Signer::new("not-an-email").with("embed", "1").with("given_name", "Ana");
    let res = bare().post(app.url("/p/partner/sign")).form(&signer.fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(frame_ancestors(&res), format!("frame-ancestors {PARTNER}"));
    let html = res.text().await.expect("body");
    assert!(html.contains(r#"name="embed" value="1""#) && html.contains(r#"value="Ana""#), "{html}");

    let signer = Signer::new("ana@example.org")
        .with("embed", "1")
        .with("source", "embed")
        .with("referrer", "partner.example")
        .with("utm_campaign", "newsletter");
    let res = bare().post(app.url("/p/partner/sign")).form(&signer.fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers().get(header::SET_COOKIE).is_none(), "nothing relies on a cookie");
    let to = res.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.starts_with("/embed/partner/thanks?ref="), "{to}");
    let code = to.trim_start_matches("/embed/partner/thanks?ref=").to_owned();
    let res = bare().get(app.url(&to)).send().await.expect("sent");
    assert_eq!(frame_ancestors(&res), format!("frame-ancestors {PARTNER}"));
    let html = res.text().await.expect("body");
    assert!(html.contains(&format!("http://localhost:3000/p/partner?ref={code}")), "{html}");
    assert!(html.contains(r#"target="_blank""#), "share buttons open outside the frame");

    // Signing again in the frame: kindly told, still framed.
    let res = bare().post(app.url("/p/partner/sign")).form(&signer.fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(frame_ancestors(&res), format!("frame-ancestors {PARTNER}"));
    assert!(res.text().await.expect("body").contains("You have already signed"));

    assert_eq!(app.recount(id).await, 1);
    let csv = String::from_utf8(app.cli(&["export", "--petition", "partner"]).stdout).expect("UTF-8");
    assert!(csv.contains(",embed,partner.example,,,,newsletter,"), "{csv}");
}

#[tokio::test]
async fn drafts_and_unknown_petitions_have_no_embed_and_closed_ones_say_so() {
    let app = spawn_app_with(&[("EMBED_ORIGINS", PARTNER)]).await;
    app.petition("hidden", Kind::Petition, Status::Draft, "en").await;
    app.petition("done", Kind::Petition, Status::Closed, "en").await;
    for path in ["/embed/hidden", "/embed/nope", "/embed/hidden/thanks"] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let html = app.get("/embed/done").await.text().await.expect("body");
    assert!(html.contains("This petition is closed") && !html.contains("<form"), "{html}");
}
