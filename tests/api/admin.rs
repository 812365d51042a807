//! Staff accounts: the first-run setup link, one-time password links, sign-in (generic errors,
//! throttling, forgery checks), sessions (new at sign-in, ended at sign-out and everywhere,
//! expiring), roles and the audit log.

use entity::staff::Role;
use reqwest::{StatusCode, header};
use sea_orm::ConnectionTrait;

use crate::helpers::{TestApp, spawn_app};

pub(crate) const PASSWORD: &str = "a long staff passphrase";

/// A browser of its own: cookies kept, redirects not followed.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("a client")
}

/// The path of an absolute link printed for `http://localhost:3000`.
fn path_of(link: &str) -> String {
    link.trim().trim_start_matches("http://localhost:3000").to_owned()
}

/// The anti-forgery field of a page's form.
pub(crate) fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    html[at..].split('"').next().unwrap_or_default().to_owned()
}

pub(crate) async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let res = client.get(app.url(path)).send().await.expect("sent");
    (res.status(), res.text().await.expect("a body"))
}

/// Posts a form after reading its page (for the anti-forgery field); returns the response.
pub(crate) async fn submit(
    client: &reqwest::Client,
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = get(client, app, page).await;
    let csrf = csrf_of(&html);
    let mut all: Vec<(&str, &str)> = fields.to_vec();
    all.push(("csrf", &csrf));
    client.post(app.url(action)).form(&all).send().await.expect("sent")
}

/// Signs in with the sign-in page's form.
async fn sign_in(client: &reqwest::Client, app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    submit(client, app, "/admin/login", "/admin/login", &[("email", email), ("password", password)]).await
}

pub(crate) fn location(res: &reqwest::Response) -> String {
    res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The session cookie a response sets.
fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers().get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| {
        c.strip_prefix("us_staff=").map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
    })
}

/// Creates an account with the CLI and sets its password through the printed link; returns a
/// browser signed in with it.
pub(crate) async fn account(app: &TestApp, email: &str, role: &str) -> reqwest::Client {
    let out = app.cli(&["staff", "create", "--email", email, "--role", role]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = String::from_utf8(out.stdout).expect("UTF-8");
    let link = out.lines().find(|l| l.contains("/admin/password/")).expect("a link");
    let client = browser();
    let path = path_of(link);
    let res =
        submit(&client, app, &path, &path, &[("password", PASSWORD), ("password_again", PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the password is set");
    assert_eq!(location(&res), "/admin");
    client
}

pub(crate) async fn audit_actions(app: &TestApp) -> Vec<(String, String, Option<String>)> {
    let rows = app
        .db
        .read
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.backend(),
            "SELECT actor, action, ip_hash FROM audit_log ORDER BY id",
        ))
        .await
        .expect("read");
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "actor").expect("actor"),
                r.try_get("", "action").expect("action"),
                r.try_get("", "ip_hash").expect("ip"),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.expect("page");
    assert!(home.contains("open the one-time link printed in the server"), "{home}");
    let link = path_of(app.setup_link.as_deref().expect("a setup link with no staff"));
    let client = browser();
    let (status, page) = get(&client, &app, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Create the first admin account"));
    // Bad input: the form again, with the email kept and each error beside its field.
    let res = submit(
        &client,
        &app,
        &link,
        &link,
        &[("email", "boss at example"), ("password", "short"), ("password_again", "short")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains(r#"value="boss at example""#) && page.contains("Enter an email address"), "{page}");
    assert!(page.contains("use at least 12 characters"));
    let res = submit(
        &client,
        &app,
        &link,
        &link,
        &[("email", "Boss@Example.org"), ("password", PASSWORD), ("password_again", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin");
    let (status, page) = get(&client, &app, "/admin").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Signed in as <strong>boss@example.org</strong> (admin)"), "{page}");
    assert_eq!(get(&browser(), &app, &link).await.0, StatusCode::NOT_FOUND, "used once");
    let home = app.get("/").await.text().await.expect("page");
    assert!(!home.contains("one-time link"), "the notice is gone");
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    assert!(actions.contains(&"staff.created".to_owned()), "{actions:?}");
}

#[tokio::test]
async fn sign_in_errors_are_generic_throttled_and_forgeries_refused() {
    let app = spawn_app().await;
    account(&app, "org@example.org", "organizer").await;
    let client = browser();
    // A staff page without a session leads to sign-in, and back after it.
    let res = client.get(app.url("/admin")).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin/login?next=%2Fadmin");
    let wrong = sign_in(&client, &app, "org@example.org", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.expect("page");
    let unknown = sign_in(&client, &app, "nobody@example.org", PASSWORD).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.expect("page");
    let message = "The email or the password is wrong.";
    assert!(wrong.contains(message) && unknown.contains(message), "the same answer for both");
    assert!(wrong.contains(r#"value="org@example.org""#), "the email is kept");
    // Forms without the anti-forgery field, or from another site, are refused.
    let bare = client
        .post(app.url("/admin/login"))
        .form(&[("email", "org@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .expect("sent");
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    let (_, page) = get(&client, &app, "/admin/login").await;
    let csrf = csrf_of(&page);
    let cross = client
        .post(app.url("/admin/login"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("email", "org@example.org"), ("password", PASSWORD), ("csrf", &csrf)])
        .send()
        .await
        .expect("sent");
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    // The right password signs in, on to the page asked for.
    let res = submit(
        &client,
        &app,
        "/admin/login?next=%2Fadmin",
        "/admin/login",
        &[("email", "ORG@example.org"), ("password", PASSWORD), ("next", "/admin")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/admin");
    // Somewhere else is not a place to go after signing in.
    let other = browser();
    let res = submit(
        &other,
        &app,
        "/admin/login",
        "/admin/login",
        &[("email", "org@example.org"), ("password", PASSWORD), ("next", "//evil.example/")],
    )
    .await;
    assert_eq!(location(&res), "/admin");
    // Five tries a minute per account: the sixth is refused, even with the right password.
    let guesser = browser();
    for _ in 0..5 {
        let res = sign_in(&guesser, &app, "victim@example.org", "guess guess guess").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = sign_in(&guesser, &app, "victim@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.expect("page").contains("Too many sign-in attempts"));
    // Each failure is in the audit log, with a hashed address and no password.
    let log = audit_actions(&app).await;
    let failed: Vec<_> = log.iter().filter(|(_, a, _)| a == "login.failed").collect();
    assert_eq!(failed.len(), 7, "{log:?}");
    assert!(failed.iter().all(|(_, _, ip)| ip.as_ref().is_some_and(|h| h.len() == 32 && !h.contains('.'))));
    assert!(log.iter().any(|(actor, a, _)| actor == "org@example.org" && a == "login"));
    assert!(!format!("{log:?}").contains("guess"), "no password in the log");
}

#[tokio::test]
async fn sessions_end_at_sign_out_everywhere_and_when_idle() {
    let app = spawn_app().await;
    let first = account(&app, "ana@example.org", "organizer").await;
    // A sign-out with a forged token (a link on another site, say) is refused; the session goes on.
    let forged = first.post(app.url("/admin/logout")).form(&[("csrf", "forged")]).send().await.expect("sent");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let bare = first.post(app.url("/admin/logout-everywhere")).send().await.expect("sent");
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(get(&first, &app, "/admin").await.0, StatusCode::OK);
    // A second browser signs in; its session is new, whatever cookie it had.
    let planted = "A".repeat(43);
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let url: reqwest::Url = app.url("/").parse().expect("a URL");
    jar.add_cookie_str(&format!("us_staff={planted}; Path=/"), &url);
    let second = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_provider(jar)
        .build()
        .expect("a client");
    let res = sign_in(&second, &app, "ana@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let token = session_cookie(&res).expect("a session cookie");
    assert_ne!(token, planted);
    let cookie =
        res.headers().get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    // Signing out ends that session: its cookie no longer works, even replayed.
    let res = submit(&second, &app, "/admin", "/admin/logout", &[]).await;
    assert_eq!(location(&res), "/admin/login");
    let replay = browser()
        .get(app.url("/admin"))
        .header(header::COOKIE, format!("us_staff={token}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(replay.status(), StatusCode::SEE_OTHER, "a stolen cookie stops working");
    // "Everywhere" ends the first browser's session too.
    let third = browser();
    let res = sign_in(&third, &app, "ana@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&first, &app, "/admin").await.0, StatusCode::OK);
    submit(&third, &app, "/admin", "/admin/logout-everywhere", &[]).await;
    assert_eq!(get(&first, &app, "/admin").await.0, StatusCode::SEE_OTHER);
    // An idle session expires: back to sign-in, then to the page asked for.
    let fourth = browser();
    sign_in(&fourth, &app, "ana@example.org", PASSWORD).await;
    assert_eq!(get(&fourth, &app, "/admin").await.0, StatusCode::OK);
    let idle = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
    app.db
        .write
        .execute_raw(sea_orm::Statement::from_sql_and_values(
            app.db.backend(),
            if app.db.backend() == sea_orm::DatabaseBackend::Postgres {
                "UPDATE staff_sessions SET last_seen_at = CAST($1 AS timestamptz)"
            } else {
                "UPDATE staff_sessions SET last_seen_at = ?"
            },
            [idle.into()],
        ))
        .await
        .expect("updated");
    let res = fourth.get(app.url("/admin/audit")).send().await.expect("sent");
    assert_eq!(location(&res), "/admin/login?next=%2Fadmin%2Faudit");
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    assert!(
        actions.contains(&"logout".to_owned()) && actions.contains(&"logout.everywhere".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn only_admins_read_the_audit_log_and_the_cli_refuses_bad_input() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.expect("page");
    assert!(home.contains("open the one-time link printed in the server"), "{home}");
    let viewer = account(&app, "view@example.org", "viewer").await;
    // The account was made by another process (the command line): the server finds out.
    let home = app.get("/").await.text().await.expect("page");
    assert!(!home.contains("open the one-time link printed in the server"), "{home}");
    let (status, page) = get(&viewer, &app, "/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("This needs the admin role"), "{page}");
    let admin = account(&app, "root@example.org", "admin").await;
    let (status, page) = get(&admin, &app, "/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("staff.created") && page.contains("password.set") && page.contains("view@example.org"),
        "{page}"
    );
    let res = admin.get(app.url("/admin/audit")).send().await.expect("sent");
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");

    for (args, reason) in [
        (
            vec!["staff", "create", "--email", "view@example.org", "--role", "viewer"],
            "already has an account",
        ),
        (vec!["staff", "create", "--email", "someone", "--role", "viewer"], "is not an email address"),
        (
            vec!["staff", "create", "--email", "new@example.org", "--role", "owner"],
            "use admin, organizer or viewer",
        ),
        (vec!["staff", "reset", "--email", "ghost@example.org"], "no staff account for ghost@example.org"),
    ] {
        let out = app.cli(&args);
        assert!(!out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(reason),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A reset link sets a new password and ends the sessions the old one started.
    let out = app.cli(&["staff", "reset", "--email", "view@example.org"]);
    let out = String::from_utf8(out.stdout).expect("UTF-8");
    let path = path_of(out.lines().find(|l| l.contains("/admin/password/")).expect("a link"));
    let fresh = browser();
    let new_password = "another long passphrase";
    let res =
        submit(&fresh, &app, &path, &path, &[("password", new_password), ("password_again", new_password)])
            .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&viewer, &app, "/admin").await.0, StatusCode::SEE_OTHER, "the old session ended");
    assert_eq!(get(&fresh, &app, &path).await.0, StatusCode::NOT_FOUND, "the link works once");
}

/// Every admin route, for every role (and for nobody): allowed, or a 403 page, or sign-in first,
/// as the route list says. The list is the one the router is made from, so a new route is in
/// this test as soon as it exists.
#[tokio::test]
async fn the_role_matrix_follows_the_route_list() {
    use undersigned::{
        domain::staff::role_name,
        routes::admin::{Access, ROUTES},
    };
    let app = spawn_app().await;
    let mut browsers = Vec::new();
    for (email, role) in
        [("a@example.org", Role::Admin), ("o@example.org", Role::Organizer), ("v@example.org", Role::Viewer)]
    {
        browsers.push((Some(role), account(&app, email, role_name(role)).await));
    }
    browsers.push((None, browser()));
    let id = app.open_petition("matrix").await;
    assert!(ROUTES.len() >= 10, "{ROUTES:?}");
    let mut checked = 0;
    for route in ROUTES {
        let Access::Staff(needed) = route.access else { continue };
        let path = route
            .path
            .replace("{token}", "x")
            .replace("{id}", &id.to_string())
            .replace("{sid}", "1")
            .replace("{aid}", "1")
            .replace("{lid}", "1");
        for (role, client) in &browsers {
            // Forms carry a real anti-forgery token, so only access decides. Sign-out routes run
            // last for each browser (they end its session), so they are tried with a copy.
            let res = if route.method == "post" {
                let (_, html) = get(client, &app, "/admin/login").await;
                let csrf = csrf_of(&html);
                if path.contains("logout") {
                    continue;
                }
                client.post(app.url(&path)).form(&[("csrf", csrf)]).send().await.expect("sent")
            } else {
                client.get(app.url(&path)).send().await.expect("sent")
            };
            let status = res.status();
            match role {
                None => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{} {path} without a session", route.method);
                    assert!(location(&res).starts_with("/admin/login?next="), "{path}");
                }
                Some(r) if *r >= needed => {
                    assert_ne!(status, StatusCode::FORBIDDEN, "{r:?} on {} {path}", route.method);
                    assert!(!location(&res).starts_with("/admin/login"), "{r:?} on {} {path}", route.method);
                }
                Some(r) => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{r:?} on {} {path}", route.method);
                    // Refused for the role, not as a forgery.
                    let page = res.text().await.expect("a page");
                    assert!(page.contains("Not allowed"), "{r:?} on {} {path}: {page}", route.method);
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked}");
    // Sign-out needs a session too.
    let res = browser().post(app.url("/admin/logout")).form(&[("csrf", "x")]).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/admin/login?next="));
}

#[tokio::test]
async fn the_audit_log_filters_pages_and_downloads_as_csv() {
    let app = spawn_app().await;
    let admin = account(&app, "root@example.org", "admin").await;
    let stranger = browser();
    for email in ["=cmd@example.org", "x@example.org"] {
        sign_in(&stranger, &app, email, "wrong wrong wrong").await;
    }
    let rows = |page: &str, action: &str| page.matches(&format!("<td>{action}</td>")).count();
    let (status, page) = get(&admin, &app, "/admin/audit?action=login.failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((rows(&page, "login.failed"), rows(&page, "password.set")), (2, 0), "{page}");
    assert!(page.contains(r#"<option value="login.failed" selected>"#), "the filter is kept");
    let (_, page) = get(&admin, &app, "/admin/audit?actor=ROOT").await;
    assert_eq!((rows(&page, "login.failed"), rows(&page, "password.set")), (0, 1), "{page}");
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let (_, page) = get(&admin, &app, &format!("/admin/audit?from={tomorrow}")).await;
    assert!(page.contains("No lines match."));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, page) = get(&admin, &app, &format!("/admin/audit?from={today}&to={today}")).await;
    assert_eq!(rows(&page, "login.failed"), 2, "the last day is included");
    // A bad date is said, and left out.
    let (status, page) = get(&admin, &app, "/admin/audit?from=2026-13-45&action=%3Cscript%3E").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("must be a date like") && page.contains("is not one of the log"), "{page}");
    assert_eq!(rows(&page, "login.failed"), 2);

    // The CSV: the same lines, formulas neutralised, and the download itself logged.
    let res = admin.get(app.url("/admin/audit.csv?action=login.failed")).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = res.headers()[header::CONTENT_DISPOSITION].to_str().expect("ASCII").to_owned();
    assert!(disposition.starts_with("attachment; filename=\"audit-"), "{disposition}");
    let body = res.text().await.expect("CSV");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().expect("a header").iter().collect::<Vec<_>>(),
        ["id", "at", "actor", "action", "subject", "detail", "ip_hash"]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(records.len(), 2);
    let actors: Vec<&str> = records.iter().map(|r| &r[2]).collect();
    assert!(actors.contains(&"'=cmd@example.org") && actors.contains(&"x@example.org"), "{actors:?}");
    let (_, page) = get(&admin, &app, "/admin/audit?action=audit.exported").await;
    assert!(page.contains("2 lines (action=login.failed)"), "{page}");

    // A page at a time, newest first.
    for i in 0..120 {
        let entry = undersigned::db::staff::Audit {
            actor: "command line",
            action: "test.line",
            detail: Some(format!("n{i}")),
            ..Default::default()
        };
        undersigned::db::staff::audit(&app.db.write, entry, chrono::Utc::now()).await.expect("logged");
    }
    let (_, first) = get(&admin, &app, "/admin/audit?action=test.line").await;
    assert_eq!(rows(&first, "test.line"), 100);
    assert!(
        first.contains("<td>n119</td>")
            && first.contains(r#"rel="next""#)
            && !first.contains(r#"rel="prev""#)
    );
    let (_, second) = get(&admin, &app, "/admin/audit?action=test.line&page=2").await;
    assert_eq!(rows(&second, "test.line"), 20);
    assert!(
        second.contains("<td>n0</td>")
            && second.contains(r#"rel="prev""#)
            && !second.contains(r#"rel="next""#)
    );
}

/// The id in a staff row's form actions (`/admin/staff/{id}/role`).
fn staff_id(page: &str, email: &str) -> String {
    let row = page.split("<tr>").skip(1).find(|r| r.contains(email)).expect("the row");
    let at = row.find("/admin/staff/").expect("a form") + "/admin/staff/".len();
    row[at..].split('/').next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn admins_add_staff_change_roles_reset_and_lock_out_in_the_browser_and_one_admin_always_remains() {
    let app = spawn_app().await;
    let admin = account(&app, "boss@example.org", "admin").await;
    let (status, page) = get(&admin, &app, "/admin/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("boss@example.org (you)"), "{page}");

    // Adding: bad input kept and said; a good one shows its link once.
    let res = submit(
        &admin,
        &app,
        "/admin/staff",
        "/admin/staff",
        &[("email", "not-an-email"), ("role", "organizer")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(
        page.contains(r#"value="not-an-email""#) && page.contains(r#"value="organizer" checked"#),
        "{page}"
    );
    let res = submit(
        &admin,
        &app,
        "/admin/staff",
        "/admin/staff",
        &[("email", "New@Example.org"), ("role", "organizer")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    let link = page
        .split("value=\"")
        .find_map(|s| s.split('"').next().filter(|v| v.contains("/admin/password/")))
        .expect("the link");
    let res = submit(
        &admin,
        &app,
        "/admin/staff",
        "/admin/staff",
        &[("email", "new@example.org"), ("role", "viewer")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "one account per email");
    let newcomer = browser();
    let path = path_of(link);
    let res =
        submit(&newcomer, &app, &path, &path, &[("password", PASSWORD), ("password_again", PASSWORD)]).await;
    assert_eq!(location(&res), "/admin");
    assert_eq!(get(&newcomer, &app, "/admin/campaigns/new").await.0, StatusCode::OK);

    // A role change takes effect at once.
    let (_, page) = get(&admin, &app, "/admin/staff").await;
    let id = staff_id(&page, "new@example.org");
    let res =
        submit(&admin, &app, "/admin/staff", &format!("/admin/staff/{id}/role"), &[("role", "viewer")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(&newcomer, &app, "/admin/campaigns/new").await.0, StatusCode::FORBIDDEN);

    // The last admin stays an admin, and nobody locks themselves out.
    let me = staff_id(&page, "boss@example.org");
    let res =
        submit(&admin, &app, "/admin/staff", &format!("/admin/staff/{me}/role"), &[("role", "viewer")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.expect("page").contains("last admin"));
    let res = submit(&admin, &app, "/admin/staff", &format!("/admin/staff/{me}/lock"), &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(get(&admin, &app, "/admin/staff").await.0, StatusCode::OK, "still an admin");

    // Locked out: sessions end, the old password no longer works; a new link lets them back.
    let res = submit(&admin, &app, "/admin/staff", &format!("/admin/staff/{id}/lock"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = newcomer.get(app.url("/admin")).send().await.expect("sent");
    assert!(location(&res).starts_with("/admin/login"), "the session ended");
    let res = sign_in(&browser(), &app, "new@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = submit(&admin, &app, "/admin/staff", &format!("/admin/staff/{id}/reset"), &[]).await;
    let page = res.text().await.expect("page");
    let link = page
        .split("value=\"")
        .find_map(|s| s.split('"').next().filter(|v| v.contains("/admin/password/")))
        .expect("a new link");
    let path = path_of(link);
    let res =
        submit(&newcomer, &app, &path, &path, &[("password", PASSWORD), ("password_again", PASSWORD)]).await;
    assert_eq!(location(&res), "/admin");

    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    for action in ["staff.role", "staff.locked", "password.reset"] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), 1, "{action}: {actions:?}");
    }
}
