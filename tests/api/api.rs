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

async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn partner_tools_add_signatures_with_the_forms_checks() {
    let app = spawn_app().await;
    let id = app.open_petition("api-w").await;
    let write = cli_token(&app, "partner site", "write");
    let read = cli_token(&app, "reader", "read");
    let path = "/api/v1/petitions/api-w/signatures";
    let ana = serde_json::json!({
        "given_name": "Ana", "family_name": "Núñez", "email": "Ana.Nunez@Example.org",
        "postal_code": "94110", "email_opt_in": true, "source": "paper"
    });
    let (status, added) = send(&app, &write, reqwest::Method::POST, path, Some(ana.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert!(added["id"].as_i64().is_some() && added["created"] == true);
    let (status, again) = send(&app, &write, reqwest::Method::POST, path, Some(ana)).await;
    assert_eq!((status, again["created"].as_bool()), (StatusCode::OK, Some(false)), "one per person");
    assert_eq!((app.count("api-w").await, app.recount(id).await), (1, 1));

    let bad = serde_json::json!({"given_name": "", "family_name": "X", "email": "not-an-email"});
    let (status, refused) = send(&app, &write, reqwest::Method::POST, path, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused["errors"]["given_name"].is_string() && refused["errors"]["email"].is_string(),
        "{refused}"
    );
    let odd =
        serde_json::json!({"given_name": "A", "family_name": "B", "email": "a@example.org", "shoe_size": 9});
    let (status, problem) = send(&app, &write, reqwest::Method::POST, path, Some(odd)).await;
    assert_eq!((status, problem["parameter"].as_str()), (StatusCode::BAD_REQUEST, Some("body")));
    let ok = serde_json::json!({"given_name": "Bo", "family_name": "B", "email": "bo@example.org", "postal_code": "94110"});
    let (status, _) = send(&app, &read, reqwest::Method::POST, path, Some(ok.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read token does not write");
    app.petition("api-closed", entity::petition::Kind::Petition, entity::petition::Status::Closed, "en")
        .await;
    let (status, _) =
        send(&app, &write, reqwest::Method::POST, "/api/v1/petitions/api-closed/signatures", Some(ok)).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // What was added reads back, attribution and consent included.
    let (status, page) = send(&app, &read, reqwest::Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK);
    let s = &page["signatures"][0];
    assert_eq!(
        (s["family_name"].as_str(), s["source"].as_str(), s["email_opt_in"].as_bool()),
        (Some("Núñez"), Some("paper"), Some(true))
    );
    assert_eq!(s["status"], "validated");
    assert!(page["next_cursor"].is_null());
}

#[tokio::test]
async fn pages_and_incremental_sync_miss_nothing_while_signatures_arrive_and_change() {
    let app = spawn_app().await;
    let id = app.open_petition("sync").await;
    let read = cli_token(&app, "sync", "read");
    for i in 0..25 {
        assert_eq!(
            app.sign_fresh("sync", &Signer::new(&format!("s{i}@example.org"))).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    // Page through ten at a time while five more arrive.
    let mut seen: Vec<i64> = Vec::new();
    let mut path = "/api/v1/petitions/sync/signatures?limit=10".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = send(&app, &read, reqwest::Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        seen.extend(
            page["signatures"].as_array().expect("a list").iter().map(|s| s["id"].as_i64().expect("an id")),
        );
        if pages == 1 {
            for i in 25..30 {
                app.sign_fresh("sync", &Signer::new(&format!("s{i}@example.org"))).await;
            }
        }
        match page["next"].as_str() {
            Some(next) => path = next.trim_start_matches("http://localhost:3000").to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 30, "every signature once, those that came meanwhile too: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    // A sync from a moment: what changed since (an old signature invalidated, then two more in
    // one action, at one instant), then what came.
    for i in 0..2 {
        let s = Signer::new(&format!("bulk{i}@example.org")).with("source", "bulk");
        app.sign_fresh("sync", &s).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    for i in 30..33 {
        app.sign_fresh("sync", &Signer::new(&format!("s{i}@example.org"))).await;
    }
    use undersigned::db::invalidations::{Criteria, Invalidation, invalidate};
    let one = Criteria { signature_id: Some(seen[3]), ..Default::default() };
    let by = Invalidation { criteria: &one, reason: "test", staff_id: None, actor: "test" };
    invalidate(&app.db.write, id, &by, chrono::Utc::now()).await.expect("invalidated");
    let bulk = Criteria { source: Some("bulk".into()), ..Default::default() };
    let by = Invalidation { criteria: &bulk, reason: "test", staff_id: None, actor: "test" };
    invalidate(&app.db.write, id, &by, chrono::Utc::now()).await.expect("invalidated");
    let since = since.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).replace('+', "%2B");
    // One a page (two changes at one instant must not repeat), and three a page (the changes
    // fill the first page exactly: the new ones follow, and nothing older comes again).
    for limit in [1, 3, 100] {
        let mut path = format!("/api/v1/petitions/sync/signatures?limit={limit}&updated_since={since}");
        let mut synced: Vec<(i64, String)> = Vec::new();
        for _ in 0..20 {
            let (status, page) = send(&app, &read, reqwest::Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for s in page["signatures"].as_array().expect("a list") {
                synced.push((
                    s["id"].as_i64().expect("an id"),
                    s["status"].as_str().expect("a status").to_owned(),
                ));
            }
            match page["next"].as_str() {
                Some(next) => path = next.trim_start_matches("http://localhost:3000").to_owned(),
                None => break,
            }
        }
        assert_eq!(synced.len(), 6, "limit {limit}: the three changes, then the three new: {synced:?}");
        assert_eq!(synced[0], (seen[3], "invalidated".to_owned()), "limit {limit}: {synced:?}");
        assert!(synced[1..3].iter().all(|(_, s)| s == "invalidated"), "limit {limit}: {synced:?}");
        assert!(
            synced[3..].iter().all(|(i, s)| *i > seen[29] + 2 && s == "validated"),
            "limit {limit}: {synced:?}"
        );
    }

    // Malformed parameters are named.
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=lots", "limit"),
        ("cursor=abc", "cursor"),
        ("updated_since=yesterday", "updated_since"),
        ("status=maybe", "status"),
        ("cursor=n.-.0.5&updated_since=2026-01-01T00:00:00Z", "cursor"),
    ] {
        let (status, problem) = send(
            &app,
            &read,
            reqwest::Method::GET,
            &format!("/api/v1/petitions/sync/signatures?{query}"),
            None,
        )
        .await;
        assert_eq!(
            (status, problem["parameter"].as_str()),
            (StatusCode::BAD_REQUEST, Some(parameter)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_spreadsheet_link_reads_one_petitions_csv_until_revoked() {
    let app = spawn_app().await;
    let id = app.open_petition("sheet").await;
    app.open_petition("other").await;
    assert_eq!(
        app.sign_fresh("sheet", &Signer::new("ana@example.org").with("given_name", "José")).await.status(),
        StatusCode::SEE_OTHER
    );
    let organizer = account(&app, "org@example.org", "organizer").await;
    let export = format!("/admin/campaigns/{id}/export");
    let links = format!("{export}/links");
    let res = submit(&organizer, &app, &export, &links, &[("name", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = submit(&organizer, &app, &export, &links, &[("name", "Field team sheet")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    let url = page
        .split(r#"id="new-link" type="text" readonly value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the link, shown once")
        .replace("&amp;", "&");
    let path = url.trim_start_matches("http://localhost:3000").to_owned();
    assert!(path.starts_with("/api/v1/petitions/sheet/signatures.csv?token=us_"), "{path}");
    let token = path.split("token=").nth(1).expect("a token").to_owned();

    let res = reqwest::get(app.url(&path)).await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let body = res.text().await.expect("CSV");
    assert!(
        body.starts_with("signature_id,") && body.contains("ana@example.org") && body.contains("José"),
        "{body}"
    );

    // Only that petition's CSV, and only in its link.
    let other = path.replace("/sheet/", "/other/");
    assert_eq!(reqwest::get(app.url(&other)).await.expect("sent").status(), StatusCode::UNAUTHORIZED);
    assert_eq!(call(&app, Some(&token), "/api/v1/petitions").await.0, StatusCode::FORBIDDEN);
    let read = cli_token(&app, "reader", "read");
    let with_read = format!("/api/v1/petitions/sheet/signatures.csv?token={read}");
    assert_eq!(reqwest::get(app.url(&with_read)).await.expect("sent").status(), StatusCode::UNAUTHORIZED);

    // Viewers neither see nor make links.
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let (_, page) = get(&viewer, &app, &export).await;
    assert!(!page.contains("A link for a spreadsheet"));
    assert_eq!(
        submit(&viewer, &app, &export, &links, &[("name", "x")]).await.status(),
        StatusCode::FORBIDDEN
    );

    // Revoked on the export page, the link stops working.
    let (_, page) = get(&organizer, &app, &export).await;
    assert!(page.contains("Field team sheet") && !page.contains(&token), "{page}");
    let revoke = page
        .split(&format!("{links}/"))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(|s| format!("{links}/{s}"))
        .expect("a revoke button");
    assert_eq!(submit(&organizer, &app, &export, &revoke, &[]).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(reqwest::get(app.url(&path)).await.expect("sent").status(), StatusCode::UNAUTHORIZED);
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    for a in ["export.link_created", "export.link_used", "export.link_revoked"] {
        assert!(actions.contains(&a.to_owned()), "{a}: {actions:?}");
    }
}

/// On a campaign that asks its signers to confirm, a signature added through the API waits for
/// confirmation too, and its signer is emailed a link (to the outbox, without SMTP).
#[tokio::test]
async fn signatures_added_on_a_confirming_campaign_wait_for_confirmation() {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app().await;
    let id = app.open_petition("api-c").await;
    let sql = format!("UPDATE petitions SET require_confirmation = TRUE WHERE id = {id}");
    app.db.write.execute_raw(sea_orm::Statement::from_string(app.db.backend(), sql)).await.expect("set");
    let write = cli_token(&app, "partner site", "write");
    let ana = serde_json::json!({"given_name": "Ana", "family_name": "Ruiz", "email": "ana@example.org", "postal_code": "94110"});
    let (status, added) =
        send(&app, &write, reqwest::Method::POST, "/api/v1/petitions/api-c/signatures", Some(ana)).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!((app.count("api-c").await, app.rows(id).await), (0, 1), "stored, not counted");
    let row = app
        .db
        .read
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            "SELECT (SELECT status FROM signatures) AS status, \
             (SELECT COUNT(*) FROM emails WHERE kind = 'signature.confirm' AND to_address = 'ana@example.org') AS n"
                .to_owned(),
        ))
        .await
        .expect("query")
        .expect("a row");
    assert_eq!(row.try_get::<String>("", "status").expect("status"), "pending");
    assert_eq!(row.try_get::<i64>("", "n").expect("n"), 1);
}
