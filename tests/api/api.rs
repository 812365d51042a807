//! The JSON API: tokens (made on the command line and by admins, shown once, scoped,
//! revocable), petitions and counts that agree with `count.json`, RFC 9457 problems for every
//! error, and the OpenAPI document that names every route.

use reqwest::{StatusCode, header};
use serde_json::Value;

use crate::{
    admin::{account, audit_actions, get, submit},
    helpers::{Signer, TestApp, spawn_app},
};

/// A token made with `undersigned token create`.
fn cli_token(app: &TestApp, name: &str, scope: &str) -> String {
    let out = app.cli(&["token", "create", "--name", name, "--scope", scope]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    text.split_whitespace().find(|w| w.starts_with("us_")).expect("the token, printed").to_owned()
}

async fn call(app: &TestApp, token: Option<&str>, path: &str) -> (StatusCode, Option<String>, Value) {
    let mut req = reqwest::Client::new().get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    let kind = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, kind, res.json().await.expect("JSON"))
}

#[tokio::test]
async fn tokens_open_the_api_and_every_error_is_a_problem_document() {
    let app = spawn_app().await;
    app.open_petition("api-p").await;
    for email in ["a@example.org", "b@example.org"] {
        let s = Signer::new(email).with("source", "meta");
        assert_eq!(app.sign_fresh("api-p", &s).await.status(), StatusCode::SEE_OTHER);
    }
    let read = cli_token(&app, "CRM sync", "read");
    assert!(read.len() > 40, "a long random token");

    // No token, a wrong one: the same 401, saying nothing about which.
    let (status, kind, none) = call(&app, None, "/api/v1/petitions").await;
    assert_eq!((status, kind.as_deref()), (StatusCode::UNAUTHORIZED, Some("application/problem+json")));
    assert_eq!(none["status"], 401);
    assert_eq!(none["type"], "about:blank");
    let (status, _, wrong) = call(&app, Some("us_not-a-token"), "/api/v1/petitions").await;
    assert_eq!((status, &wrong), (StatusCode::UNAUTHORIZED, &none));

    // Petitions with counts that agree with count.json.
    let (status, kind, list) = call(&app, Some(&read), "/api/v1/petitions").await;
    assert_eq!((status, kind.as_deref()), (StatusCode::OK, Some("application/json")));
    let p = &list["petitions"][0];
    assert_eq!(
        (p["slug"].as_str(), p["kind"].as_str(), p["status"].as_str()),
        (Some("api-p"), Some("petition"), Some("open"))
    );
    assert_eq!(p["signatures"], app.count("api-p").await);
    let (status, _, one) = call(&app, Some(&read), "/api/v1/petitions/api-p").await;
    assert_eq!((status, one["signatures"].as_i64()), (StatusCode::OK, Some(2)));
    assert_eq!(one["url"], "http://localhost:3000/p/api-p");
    let (status, _, missing) = call(&app, Some(&read), "/api/v1/petitions/nope").await;
    assert_eq!((status, missing["status"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));

    // Counts by day and by source; a bad grouping names its parameter.
    let today = chrono::Utc::now().date_naive().to_string();
    let (status, _, by_day) = call(&app, Some(&read), "/api/v1/petitions/api-p/counts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((by_day["by"].as_str(), by_day["total"].as_i64()), (Some("day"), Some(2)));
    assert_eq!(by_day["rows"][0]["key"], today);
    let (_, _, by_source) = call(&app, Some(&read), "/api/v1/petitions/api-p/counts?by=source").await;
    assert_eq!(
        (by_source["rows"][0]["key"].as_str(), by_source["rows"][0]["signatures"].as_i64()),
        (Some("meta"), Some(2))
    );
    let (status, _, bad) = call(&app, Some(&read), "/api/v1/petitions/api-p/counts?by=week").await;
    assert_eq!((status, bad["parameter"].as_str()), (StatusCode::BAD_REQUEST, Some("by")));
    let (status, kind, _) = call(&app, Some(&read), "/api/v1/nothing-here").await;
    assert_eq!((status, kind.as_deref()), (StatusCode::NOT_FOUND, Some("application/problem+json")));

    // Its use is noted; revoked, it gets the same 401 as a token that never was.
    let out = app.cli(&["token", "list"]);
    let listed = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        listed.contains("CRM sync") && listed.contains("last used") && !listed.contains(&read),
        "{listed}"
    );
    let id = listed.split_whitespace().next().expect("an id").to_owned();
    assert!(app.cli(&["token", "revoke", "--id", &id]).status.success());
    let (status, _, revoked) = call(&app, Some(&read), "/api/v1/petitions").await;
    assert_eq!((status, &revoked), (StatusCode::UNAUTHORIZED, &none));

    // Bad commands say why.
    let out = app.cli(&["token", "create", "--name", "x", "--scope", "admin"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("use read or write"));
    let out = app.cli(&["token", "create", "--name", " ", "--scope", "read"]);
    assert!(!out.status.success());
}

#[tokio::test]
async fn admins_make_and_revoke_tokens_in_the_browser() {
    let app = spawn_app().await;
    let admin = account(&app, "boss@example.org", "admin").await;
    let (status, page) = get(&admin, &app, "/admin/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No tokens yet."), "{page}");
    let res =
        submit(&admin, &app, "/admin/tokens", "/admin/tokens", &[("name", ""), ("scope", "read")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res =
        submit(&admin, &app, "/admin/tokens", "/admin/tokens", &[("name", "Sheet"), ("scope", "write")])
            .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    let token = page
        .split(r#"id="new-token" type="text" readonly value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the token, shown once")
        .to_owned();
    assert!(token.starts_with("us_"));
    let (status, _, _) = call(&app, Some(&token), "/api/v1/petitions").await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = get(&admin, &app, "/admin/tokens").await;
    assert!(!page.contains(&token), "shown only once");
    assert!(page.contains(&token[..7]), "its first characters tell it apart: {page}");
    let revoke = page
        .split("/admin/tokens/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("/admin/tokens/{s}"))
        .expect("a revoke button");
    let res = submit(&admin, &app, "/admin/tokens", &revoke, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(call(&app, Some(&token), "/api/v1/petitions").await.0, StatusCode::UNAUTHORIZED);
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    assert!(actions.contains(&"token.created".to_owned()) && actions.contains(&"token.revoked".to_owned()));
    // Organizers do not manage tokens.
    let organizer = account(&app, "org@example.org", "organizer").await;
    assert_eq!(get(&organizer, &app, "/admin/tokens").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_names_every_route() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/api/v1/openapi.json")).await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("a body");
    let spec = oas3::from_json(&text).expect("a valid OpenAPI document");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let documented: Vec<(String, String)> =
        spec.operations().map(|(path, method, _)| (method.as_str().to_lowercase(), path)).collect();
    for (method, path) in undersigned::routes::api::ROUTES {
        assert!(
            documented.contains(&((*method).to_owned(), (*path).to_owned())),
            "{method} {path} is documented"
        );
    }
    assert_eq!(documented.len(), undersigned::routes::api::ROUTES.len(), "and nothing else: {documented:?}");
    for (_, _, op) in spec.operations() {
        for (status, response) in op.responses(&spec) {
            assert!(response.description.as_deref().is_some_and(|d| !d.is_empty()), "{status}");
        }
        assert!(op.parameters(&spec).is_ok(), "every parameter resolves");
    }

    let page = app.get("/api/v1/docs").await.text().await.expect("page");
    for (method, path) in undersigned::routes::api::ROUTES {
        assert!(page.contains(&format!("{} {path}", method.to_uppercase())), "{method} {path} on the page");
    }
    assert!(!page.contains("<script") && !page.contains("src=\"http"), "nothing loaded from elsewhere");
}
