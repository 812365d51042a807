//! Email confirmation, through a real SMTP listener: a signature waits until its signer presses
//! the button behind the emailed link; opening the link (as mail scanners do) changes nothing;
//! links work once and expire; one reminder a day later; signing again sends a new link, but
//! not more than once in ten minutes.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use tokio::sync::Notify;

use crate::{
    helpers::{Signer, TestApp, spawn_app_with},
    mail::eventually,
    paper::scalar,
    smtp::{Received, SmtpSink},
};

/// An open petition in `locale` that asks its signers to confirm; returns its id.
async fn confirming(app: &TestApp, slug: &str, locale: &str) -> i64 {
    let id =
        app.petition(slug, entity::petition::Kind::Petition, entity::petition::Status::Open, locale).await;
    exec(app, &format!("UPDATE petitions SET require_confirmation = TRUE WHERE id = {id}")).await;
    id
}

/// Sets every unconfirmed link's `column` to `at`.
async fn set_unconfirmed(app: &TestApp, column: &str, at: chrono::DateTime<Utc>) {
    let backend = app.db.backend();
    let place = if backend == sea_orm::DatabaseBackend::Postgres { "$1" } else { "?" };
    let sql = format!("UPDATE confirmations SET {column} = {place} WHERE confirmed_at IS NULL");
    app.db
        .write
        .execute_raw(Statement::from_sql_and_values(backend, sql, [at.into()]))
        .await
        .expect("statement");
}

pub(crate) async fn exec(app: &TestApp, sql: &str) {
    app.db
        .write
        .execute_raw(Statement::from_string(app.db.backend(), sql.to_owned()))
        .await
        .expect("statement");
}

/// The status of `email`'s signature.
async fn status(app: &TestApp, email: &str) -> String {
    let sql = format!("SELECT status FROM signatures WHERE email = '{email}'");
    let row = app
        .db
        .read
        .query_one_raw(Statement::from_string(app.db.backend(), sql))
        .await
        .expect("query")
        .expect("a signature");
    row.try_get("", "status").expect("status")
}

/// The confirmation link in an email, as a path (`/confirm/…`), checking that its text and
/// HTML parts carry the same one.
fn link_in(m: &Received) -> String {
    let parsed = m.parsed();
    let text = parsed.body_text(0).expect("a text part").into_owned();
    let start = text.find("http://localhost:3000/confirm/").expect("a link in the text");
    let url: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let html = parsed.body_html(0).expect("an HTML part");
    assert!(html.contains(&format!("href=\"{url}\"")), "{html}");
    url.trim_start_matches("http://localhost:3000").to_owned()
}

/// A client that keeps cookies and does not follow redirects, as a browser's tab.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("a client")
}

#[tokio::test]
async fn a_signature_counts_only_once_its_signer_presses_the_button() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &sink.url())]).await;
    let id = confirming(&app, "staffing", "en").await;
    let out = app.cli_with(
        &[("WEBHOOK_ALLOW_PRIVATE", "true")],
        &[
            "webhook",
            "add",
            "--url",
            "http://127.0.0.1:9/hook",
            "--events",
            "signature.created,signature.confirmed",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hooks = |event: &'static str| {
        let app = &app;
        async move {
            scalar(app, &format!("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE event = '{event}'"))
                .await
        }
    };

    // Signing: pending, and the thanks page says to look for the email.
    let signer = browser();
    let res = signer
        .post(app.url("/p/staffing/sign"))
        .form(&Signer::new("ana@example.org").fields)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let thanks = res.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(thanks, "/p/staffing/thanks?confirm=1");
    let page = signer.get(app.url(&thanks)).send().await.expect("sent").text().await.expect("text");
    assert!(page.contains("Almost done: check your email"), "{page}");
    assert_eq!(status(&app, "ana@example.org").await, "pending");
    assert_eq!(app.count("staffing").await, 0);
    assert_eq!(hooks("signature.created").await, 0, "a pending signature is not announced");

    let got = sink.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got[0].to, ["ana@example.org"]);
    assert_eq!(got[0].parsed().subject(), Some("Confirm your signature: Title of staffing"));
    let text = got[0].parsed().body_text(0).expect("text").into_owned();
    assert!(text.starts_with("Hello Ana,"), "{text}");
    assert!(text.contains("The link works for 7 days."), "{text}");
    let link = link_in(&got[0]);
    let token = link.trim_start_matches("/confirm/");
    assert!(token.len() >= 43, "at least 256 bits of letters and digits: {token}");
    // Only its hash is stored.
    let stored = scalar(
        &app,
        &format!("SELECT COUNT(*) AS n FROM confirmations WHERE token_hash = '{token}' OR reminder_hash = '{token}'"),
    )
    .await;
    assert_eq!(stored, 0);
    // Nor does the outbox keep it once the email is sent: the link stays, without it.
    eventually("the email recorded as sent", || async {
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE status = 'sent'").await == 1
    })
    .await;
    let kept = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) AS n FROM emails WHERE text_body LIKE '%{token}%' OR html_body LIKE '%{token}%' \
             OR text_body NOT LIKE '%/confirm/…%'"
        ),
    )
    .await;
    assert_eq!(kept, 0);

    // A mail scanner opens the link, twice: a button, nothing confirmed, nothing used up.
    let scanner = browser();
    for _ in 0..2 {
        let res = scanner.get(app.url(&link)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        let page = res.text().await.expect("text");
        assert!(page.contains("Confirm my signature") && page.contains("Title of staffing"), "{page}");
        assert!(page.contains(&format!("<form method=\"post\" action=\"{link}\">")), "{page}");
    }
    assert_eq!(status(&app, "ana@example.org").await, "pending");
    assert_eq!(app.count("staffing").await, 0);

    // The signer presses it: counted everywhere, and on to the thanks page with their link.
    let res = signer.post(app.url(&link)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/p/staffing/thanks");
    let page =
        signer.get(app.url("/p/staffing/thanks")).send().await.expect("sent").text().await.expect("text");
    assert!(page.contains("Thank you for signing!") && page.contains("?ref="), "{page}");
    assert_eq!(status(&app, "ana@example.org").await, "validated");
    assert_eq!(app.count("staffing").await, 1);
    assert_eq!(app.aggregates(id).await, 1);
    assert_eq!(hooks("signature.created").await, 1);
    assert_eq!(hooks("signature.confirmed").await, 1);
    let confirmed = scalar(&app, "SELECT COUNT(*) AS n FROM signatures WHERE confirmed_at IS NOT NULL").await;
    assert_eq!(confirmed, 1);

    // Pressed again (a second tab, a back button): already confirmed, counted once.
    let res = scanner.post(app.url(&link)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("text").contains("Your signature is confirmed"));
    assert_eq!(app.count("staffing").await, 1);
    assert_eq!(hooks("signature.created").await, 1);

    // Links that are not ours.
    for bad in [
        "/confirm/nothing-like-a-token",
        "/confirm/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/confirm/%00",
    ] {
        let res = scanner.get(app.url(bad)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(res.text().await.expect("text").contains("This link does not work"));
        let res = scanner.post(app.url(bad)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    // A signer without confirmation on another petition counts at once, as ever.
    app.open_petition("open").await;
    assert_eq!(
        app.sign_fresh("open", &Signer::new("ben@example.org")).await.headers()["location"],
        "/p/open/thanks"
    );
    assert_eq!(app.count("open").await, 1);
}

#[tokio::test]
async fn a_reminder_goes_once_links_expire_and_signing_again_sends_a_new_one() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &sink.url())]).await;
    confirming(&app, "dotacion", "es").await;
    for email in ["ana@example.org", "ben@example.org"] {
        assert_eq!(app.sign_fresh("dotacion", &Signer::new(email)).await.status(), StatusCode::SEE_OTHER);
    }
    let first = sink.wait_for(2, Duration::from_secs(15)).await;
    let subject = first[0].parsed().subject().unwrap_or_default().to_owned();
    assert_eq!(subject, "Confirma tu firma: Title of dotacion");
    let text = first[0].parsed().body_text(0).expect("text").into_owned();
    assert!(text.starts_with("Hola, Ana:") && text.contains("El enlace sirve durante 7 días."), "{text}");
    let link_of = |to: &str, messages: &[Received]| {
        link_in(messages.iter().rev().find(|m| m.to == [to]).expect("an email to them"))
    };
    let ana_first = link_of("ana@example.org", &first);

    // Nothing before a day has passed; a day later, one reminder each, however often (and by
    // however many processes: the server's own watcher looks too) it is looked for.
    let wake = Notify::new();
    let public_url = "http://localhost:3000";
    undersigned::confirm::send_reminders(&app.db, public_url, &wake, Utc::now()).await.expect("looked");
    let none =
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE kind = 'signature.confirm_reminder'").await;
    assert_eq!(none, 0, "no reminder within the day");
    set_unconfirmed(&app, "created_at", Utc::now() - chrono::Duration::hours(25)).await;
    let now = Utc::now();
    let (a, b) = tokio::join!(
        undersigned::confirm::send_reminders(&app.db, public_url, &wake, now),
        undersigned::confirm::send_reminders(&app.db, public_url, &wake, now),
    );
    a.expect("looked");
    b.expect("looked");
    undersigned::confirm::send_reminders(&app.db, public_url, &wake, now).await.expect("looked");
    let reminded =
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE kind = 'signature.confirm_reminder'").await;
    assert_eq!(reminded, 2, "one reminder each");
    let all = sink.wait_for(4, Duration::from_secs(15)).await;
    let reminder = all.iter().rev().find(|m| m.to == ["ana@example.org"]).expect("a reminder");
    assert_eq!(reminder.parsed().subject(), Some("Recordatorio: confirma tu firma: Title of dotacion"));
    let ana_reminder = link_in(reminder);
    assert_ne!(ana_reminder, ana_first);

    // The reminder's link confirms; the first one then says it is done.
    let client = browser();
    let res = client.post(app.url(&ana_reminder)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = client.get(app.url(&ana_first)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("text");
    assert!(page.contains("Tu firma está confirmada") && page.contains("lang=\"es\""), "{page}");
    assert_eq!(app.count("dotacion").await, 1);

    // Ben's links expire: neither confirms, and the page says how to get a new one.
    let ben_first = link_of("ben@example.org", &first);
    let ben_reminder = link_of("ben@example.org", &all);
    set_unconfirmed(&app, "expires_at", Utc::now() - chrono::Duration::hours(1)).await;
    for link in [&ben_first, &ben_reminder] {
        let res = client.post(app.url(link)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::GONE);
        assert!(res.text().await.expect("text").contains("Este enlace ha caducado"));
        assert_eq!(client.get(app.url(link)).send().await.expect("sent").status(), StatusCode::GONE);
    }
    assert_eq!(status(&app, "ben@example.org").await, "pending");
    assert_eq!(app.count("dotacion").await, 1);

    // Signing again sends a new link, which works; the old ones stay dead.
    set_unconfirmed(&app, "created_at", Utc::now() - chrono::Duration::days(8)).await;
    let res = app.sign_fresh("dotacion", &Signer::new("ben@example.org")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("text").contains("Casi listo: revisa tu correo"));
    let all = sink.wait_for(5, Duration::from_secs(15)).await;
    let ben_new = link_of("ben@example.org", &all);
    assert!(ben_new != ben_first && ben_new != ben_reminder);
    // At once again: no new email (nobody fills an inbox by signing in its name).
    let res = app.sign_fresh("dotacion", &Signer::new("ben@example.org")).await;
    assert!(res.text().await.expect("text").contains("Casi listo: revisa tu correo"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 5);
    assert_eq!(client.post(app.url(&ben_first)).send().await.expect("sent").status(), StatusCode::NOT_FOUND);
    assert_eq!(client.post(app.url(&ben_new)).send().await.expect("sent").status(), StatusCode::SEE_OTHER);
    eventually("Ben counted", || async { app.count("dotacion").await == 2 }).await;

    // A counted signer who signs again is told so, and gets no email.
    let res = app.sign_fresh("dotacion", &Signer::new("ana@example.org")).await;
    assert!(res.text().await.expect("text").contains("Ya has firmado"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 5);
}
