//! Email: goal alerts to the staff who asked for them, sent once each through a real SMTP
//! listener; the outbox admins read when no mail server is set; retries after a server puts a
//! message off, and failure when it refuses one; milestones that start again with a new goal.

use std::time::Duration;

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::{
    admin::{account, audit_actions, get, location, submit},
    campaigns::{campaign_id, letter, post_editor, with},
    helpers::{Signer, TestApp, spawn_app_with},
    paper::scalar,
    smtp::SmtpSink,
};

/// A published petition with `goal`, made in the editor; returns its id.
async fn petition(app: &TestApp, organizer: &reqwest::Client, slug: &str, goal: i64) -> i64 {
    let mut fields = letter(slug);
    for (k, v) in [
        ("kind", "petition"),
        ("recipients", ""),
        ("ask_worksite", "no"),
        ("ask_job_title", "no"),
        ("publish", "1"),
        ("goal", &goal.to_string()),
    ] {
        fields = with(fields, k, v);
    }
    let res = post_editor(organizer, app, "/admin/campaigns/new", "/admin/campaigns", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    campaign_id(&location(&res))
}

/// Turns `client`'s goal emails for petition `id` on or off from its dashboard.
async fn alerts(app: &TestApp, client: &reqwest::Client, id: i64, on: bool) {
    let dashboard = format!("/admin/campaigns/{id}/dashboard");
    let res = submit(
        client,
        app,
        &dashboard,
        &format!("/admin/campaigns/{id}/alerts"),
        &[("on", if on { "1" } else { "0" })],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{dashboard}#alerts"));
}

async fn sign(app: &TestApp, slug: &str, n: usize, from: usize) {
    for i in from..from + n {
        let res = app.sign_fresh(slug, &Signer::new(&format!("s{i}@example.org"))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
}

/// `(status, to, subject)` of every email in the outbox, oldest first.
async fn outbox(app: &TestApp) -> Vec<(String, String, String)> {
    let rows = app
        .db
        .read
        .query_all_raw(Statement::from_string(
            app.db.backend(),
            "SELECT status, to_address, subject FROM emails ORDER BY id",
        ))
        .await
        .expect("read");
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "status").expect("status"),
                r.try_get("", "to_address").expect("to"),
                r.try_get("", "subject").expect("subject"),
            )
        })
        .collect()
}

/// Each email's text, HTML and unsubscribe token as stored, oldest first.
async fn stored_emails(db: &undersigned::db::Database) -> Vec<[String; 3]> {
    db.read
        .query_all_raw(Statement::from_string(
            db.backend(),
            "SELECT text_body, html_body, unsubscribe_token FROM emails ORDER BY id",
        ))
        .await
        .expect("read")
        .iter()
        .map(|r| {
            ["text_body", "html_body", "unsubscribe_token"]
                .map(|c| r.try_get::<Option<String>>("", c).expect("text").unwrap_or_default())
        })
        .collect()
}

/// The milestones recorded for `id`, as percentages.
async fn milestones(app: &TestApp, id: i64) -> Vec<i32> {
    let rows = app
        .db
        .read
        .query_all_raw(Statement::from_string(
            app.db.backend(),
            format!("SELECT percent FROM goal_milestones WHERE petition_id = {id} ORDER BY percent"),
        ))
        .await
        .expect("read");
    rows.iter().map(|r| r.try_get("", "percent").expect("percent")).collect()
}

/// Waits until the sink has had no new message for a second (ten goal checks); returns how
/// many it has.
async fn settled(sink: &SmtpSink) -> usize {
    let mut seen = sink.messages().len();
    loop {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let now = sink.messages().len();
        if now == seen {
            return now;
        }
        seen = now;
    }
}

/// Waits until `check` holds, looking every 50 ms for at most 15 s.
pub(crate) async fn eventually<F: Future<Output = bool>>(what: &str, mut check: impl FnMut() -> F) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 15 s");
}

/// A mail program's one click on an email's unsubscribe link (RFC 8058): a bare `POST` with no
/// cookie and no form token. `link` is the link as the email gives it.
pub(crate) async fn one_click(app: &TestApp, link: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(link.trim_start_matches("http://localhost:3000")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn goal_emails_reach_the_staff_who_asked_once_per_milestone() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[
        ("SMTP_URL", &sink.url()),
        ("GOAL_CHECK_MS", "100"),
        ("MAIL_FROM", "Nurses United <alerts@example.org>"),
    ])
    .await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let quitter = account(&app, "quit@example.org", "organizer").await;
    let _silent = account(&app, "silent@example.org", "organizer").await;
    let id = petition(&app, &organizer, "staffing", 4).await;

    let (_, page) = get(&viewer, &app, &format!("/admin/campaigns/{id}/dashboard")).await;
    assert!(
        page.contains("Email me at each milestone") && page.contains("No milestone passed yet"),
        "{page}"
    );
    alerts(&app, &organizer, id, true).await;
    alerts(&app, &viewer, id, true).await;
    alerts(&app, &quitter, id, true).await;
    alerts(&app, &quitter, id, false).await;
    // Asking twice is asking once.
    alerts(&app, &viewer, id, true).await;
    let (_, page) = get(&viewer, &app, &format!("/admin/campaigns/{id}/dashboard")).await;
    assert!(page.contains("Stop goal emails") && page.contains("viewer@example.org"), "{page}");

    // One of four: 25%.
    sign(&app, "staffing", 1, 0).await;
    let got = sink.wait_for(2, Duration::from_secs(15)).await;
    let mut to: Vec<&str> = got.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    to.sort_unstable();
    assert_eq!(to, ["org@example.org", "viewer@example.org"]);
    for m in &got {
        assert_eq!(m.from, "alerts@example.org");
        let parsed = m.parsed();
        assert_eq!(parsed.subject(), Some("“Safe staffing on 3 West” passed 25% of its goal"));
        let text = parsed.body_text(0).expect("a text part");
        assert!(text.contains("1 signatures: 25% of its goal of 4."), "{text}");
        assert!(text.contains(&format!("http://localhost:3000/admin/campaigns/{id}/dashboard")), "{text}");
        let html = parsed.body_html(0).expect("an HTML part");
        assert!(html.contains("<strong>Safe staffing on 3 West</strong>"), "{html}");
        let raw = String::from_utf8_lossy(&m.data);
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(raw.contains("Message-ID: <email-"), "{raw}");
        assert!(
            raw.contains("From: \"Nurses United\" <alerts@example.org>")
                || raw.contains("From: Nurses United <alerts@example.org>"),
            "{raw}"
        );
    }

    // Two more: 50% and 75%. Passed together (one email names the higher) or apart (one each),
    // each recipient hears of each milestone at most once, and last of 75%.
    sign(&app, "staffing", 2, 1).await;
    eventually("75% recorded", || async { milestones(&app, id).await == [25, 50, 75] }).await;
    let after_75 = settled(&sink).await;
    assert!(after_75 == 4 || after_75 == 6, "{after_75} emails");
    for to in ["org@example.org", "viewer@example.org"] {
        let subjects: Vec<String> = sink.messages()[2..]
            .iter()
            .filter(|m| m.to == [to])
            .map(|m| m.parsed().subject().unwrap_or_default().to_owned())
            .collect();
        assert!(subjects.last().is_some_and(|s| s.ends_with("passed 75% of its goal")), "{subjects:?}");
        let unique: std::collections::BTreeSet<&String> = subjects.iter().collect();
        assert_eq!(unique.len(), subjects.len(), "each milestone once: {subjects:?}");
    }

    // The goal: 100%.
    sign(&app, "staffing", 1, 3).await;
    let got = sink.wait_for(after_75 + 2, Duration::from_secs(15)).await;
    assert!(
        got[after_75..]
            .iter()
            .all(|m| m.parsed().subject() == Some("“Safe staffing on 3 West” reached its goal"))
    );

    // Going past it sends nothing more.
    sign(&app, "staffing", 2, 4).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.messages().len(), after_75 + 2, "each milestone is told once");
    assert_eq!(milestones(&app, id).await, [25, 50, 75, 100]);
    let all = outbox(&app).await;
    assert_eq!(all.len(), after_75 + 2);
    assert!(all.iter().all(|(status, _, _)| status == "sent"), "{all:?}");
    assert!(!all.iter().any(|(_, to, _)| to == "quit@example.org" || to == "silent@example.org"));

    let (_, page) = get(&viewer, &app, &format!("/admin/campaigns/{id}/dashboard")).await;
    assert!(page.contains("100% of 4 passed"), "{page}");
    assert!(page.contains("75% of 4 passed") && page.contains("at 3 signatures"), "{page}");
}

#[tokio::test]
async fn without_smtp_emails_wait_in_the_outbox_that_only_admins_read() {
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "100")]).await;
    let admin = account(&app, "admin@example.org", "admin").await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = petition(&app, &organizer, "kept", 2).await;
    alerts(&app, &organizer, id, true).await;
    let (_, page) = get(&organizer, &app, &format!("/admin/campaigns/{id}/dashboard")).await;
    assert!(page.contains("emails are kept in the outbox"), "{page}");

    sign(&app, "kept", 1, 0).await;
    eventually("an email in the outbox", || async { !outbox(&app).await.is_empty() }).await;
    let all = outbox(&app).await;
    assert_eq!(
        all,
        [(
            "queued".to_owned(),
            "org@example.org".to_owned(),
            "“Safe staffing on 3 West” passed 50% of its goal".to_owned()
        )]
    );

    let (status, page) = get(&admin, &app, "/admin/outbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No mail server is set up"), "{page}");
    assert!(page.contains("org@example.org") && page.contains("Kept here (no mail server)"), "{page}");
    let link =
        page.split(r#"href="/admin/outbox/"#).nth(1).and_then(|s| s.split('"').next()).expect("a link");
    let (status, one) = get(&admin, &app, &format!("/admin/outbox/{link}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(one.contains(&format!("http://localhost:3000/admin/campaigns/{id}/dashboard")), "{one}");
    assert!(!one.contains("Send again"), "only a failed email is sent again: {one}");
    let (status, page) = get(&admin, &app, "/admin/outbox?status=sent").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No emails."), "{page}");

    // Not for organizers; nonsense is not found.
    assert_eq!(get(&organizer, &app, "/admin/outbox").await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&organizer, &app, &format!("/admin/outbox/{link}")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(&admin, &app, "/admin/outbox?status=lost").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&admin, &app, "/admin/outbox/999999").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&admin, &app, "/admin/outbox/x").await.0, StatusCode::NOT_FOUND);
    let res = submit(&admin, &app, "/admin/outbox", &format!("/admin/outbox/{link}/send-again"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a queued email is not sent again");
    // A bad switch is refused.
    let res = submit(
        &organizer,
        &app,
        &format!("/admin/campaigns/{id}/dashboard"),
        &format!("/admin/campaigns/{id}/alerts"),
        &[("on", "maybe")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_message_put_off_is_sent_later_and_a_refused_one_fails_until_sent_again() {
    let sink = SmtpSink::start().await;
    sink.put_off(1);
    sink.refuse("gone@example.org");
    let app =
        spawn_app_with(&[("SMTP_URL", &sink.url()), ("GOAL_CHECK_MS", "100"), ("MAIL_RETRY_BASE_MS", "200")])
            .await;
    let admin = account(&app, "admin@example.org", "admin").await;
    let gone = account(&app, "gone@example.org", "organizer").await;
    let id = petition(&app, &admin, "retry", 1).await;
    alerts(&app, &admin, id, true).await;
    alerts(&app, &gone, id, true).await;

    sign(&app, "retry", 1, 0).await;
    // The first message is put off with a 451 and sent on a later attempt; the refused address
    // fails at once, for good.
    let got = sink.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(got[0].to, ["admin@example.org"]);
    eventually("both emails settled", || async {
        let all = outbox(&app).await;
        all.len() == 2 && all.iter().all(|(s, _, _)| s != "queued")
    })
    .await;
    let all = outbox(&app).await;
    let status_of =
        |to: &str| all.iter().find(|(_, t, _)| t == to).map(|(s, _, _)| s.clone()).unwrap_or_default();
    assert_eq!(status_of("admin@example.org"), "sent");
    assert_eq!(status_of("gone@example.org"), "failed");

    let (_, page) = get(&admin, &app, "/admin/outbox?status=failed").await;
    assert!(page.contains("gone@example.org") && page.contains("Not sent: failed"), "{page}");
    let link =
        page.split(r#"href="/admin/outbox/"#).nth(1).and_then(|s| s.split('"').next()).expect("a link");
    let (_, one) = get(&admin, &app, &format!("/admin/outbox/{link}")).await;
    assert!(one.contains("550") && one.contains("Send again"), "{one}");
    let attempts = app
        .db
        .read
        .query_one_raw(Statement::from_string(
            app.db.backend(),
            "SELECT attempts FROM emails WHERE to_address = 'admin@example.org'",
        ))
        .await
        .expect("read")
        .and_then(|r| r.try_get::<i32>("", "attempts").ok());
    assert_eq!(attempts, Some(2), "put off once, then sent");

    // Sent again: back in the queue, refused again, and in the audit log.
    let res = submit(
        &admin,
        &app,
        &format!("/admin/outbox/{link}"),
        &format!("/admin/outbox/{link}/send-again"),
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    eventually("the email failed again", || async {
        outbox(&app).await.iter().any(|(s, t, _)| t == "gone@example.org" && s == "failed")
    })
    .await;
    assert!(
        audit_actions(&app)
            .await
            .iter()
            .any(|(actor, action, _)| actor == "admin@example.org" && action == "email.requeued")
    );
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn a_new_goal_starts_the_milestones_again_without_telling_what_is_old() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &sink.url()), ("GOAL_CHECK_MS", "100")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = petition(&app, &organizer, "raise", 4).await;
    alerts(&app, &organizer, id, true).await;
    sign(&app, "raise", 2, 0).await;
    eventually("50% recorded", || async { milestones(&app, id).await == [25, 50] }).await;
    let before = settled(&sink).await;
    assert!(before == 1 || before == 2, "{before}");

    // Raised to 8: 2 is a quarter of it, which is recorded as passed, and told to nobody.
    let edit = format!("/admin/campaigns/{id}");
    let mut fields = letter("raise");
    for (k, v) in [
        ("kind", "petition"),
        ("recipients", ""),
        ("ask_worksite", "no"),
        ("ask_job_title", "no"),
        ("goal", "8"),
    ] {
        fields = with(fields, k, v);
    }
    let res = post_editor(&organizer, &app, &edit, &edit, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(milestones(&app, id).await, [25]);
    sign(&app, "raise", 2, 2).await;
    let got = sink.wait_for(before + 1, Duration::from_secs(15)).await;
    assert_eq!(got[before].parsed().subject(), Some("“Safe staffing on 3 West” passed 50% of its goal"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), before + 1, "25% of the new goal was passed already: not told");
}

#[tokio::test]
async fn two_processes_watching_goals_record_and_tell_each_milestone_once() {
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "3600000")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = petition(&app, &organizer, "twice", 2).await;
    alerts(&app, &organizer, id, true).await;
    sign(&app, "twice", 1, 0).await;
    eventually("the signature counted", || async { app.count("twice").await == 1 }).await;
    let other = undersigned::db::Database::connect(&app.db_url).await.expect("connects");
    let wake = tokio::sync::Notify::new();
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        undersigned::mail::check_goals(&app.db, "http://localhost:3000", &wake, now),
        undersigned::mail::check_goals(&other, "http://localhost:3000", &wake, now),
    );
    a.expect("one checks");
    b.expect("the other checks");
    assert_eq!(milestones(&app, id).await, [25, 50]);
    assert_eq!(outbox(&app).await.len(), 1, "one email, naming 50%");
}

#[tokio::test]
async fn a_goal_email_stops_in_one_click_and_opening_its_link_changes_nothing() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &sink.url()), ("GOAL_CHECK_MS", "100")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = petition(&app, &organizer, "staffing", 4).await;
    alerts(&app, &organizer, id, true).await;
    sign(&app, "staffing", 1, 0).await;
    let got = sink.wait_for(1, Duration::from_secs(15)).await;
    let raw = String::from_utf8_lossy(&got[0].data).into_owned();
    // RFC 8058: the link in a header, and that a bare POST to it is enough.
    let header =
        raw.lines().find_map(|l| l.strip_prefix("List-Unsubscribe: ")).expect("a List-Unsubscribe header");
    assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{raw}");
    let link = header.trim().trim_start_matches('<').trim_end_matches('>');
    let path = link.strip_prefix("http://localhost:3000").expect("on the public address").to_owned();
    assert!(path.starts_with("/unsubscribe/"), "{path}");
    let text = got[0].parsed().body_text(0).expect("a text part").into_owned();
    assert!(text.contains(link), "the body has the link too: {text}");
    // Once sent, the outbox keeps the link without its token, and the token only hashed.
    let token = path.trim_start_matches("/unsubscribe/").to_owned();
    eventually("the email recorded as sent", || async {
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE status = 'sent'").await == 1
    })
    .await;
    let kept = stored_emails(&app.db).await.swap_remove(0);
    assert!(kept.iter().all(|v| !v.contains(&token)), "{kept:?}");
    assert!(kept[0].contains("/unsubscribe/…"), "{kept:?}");
    assert_eq!(kept[2], undersigned::domain::staff::token_id(&token));
    // An admin reading it in the outbox is told why the link ends in "…".
    let admin = account(&app, "admin@example.org", "admin").await;
    let email_id = scalar(&app, "SELECT id AS n FROM emails").await;
    let (status, page) = get(&admin, &app, &format!("/admin/outbox/{email_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("kept here without its code") && page.contains("/unsubscribe/…"), "{page}");
    // A link made of the stored hash opens nothing.
    let res =
        reqwest::Client::new().get(app.url(&format!("/unsubscribe/{}", kept[2]))).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let sql = format!("SELECT COUNT(*) AS n FROM goal_alerts WHERE petition_id = {id}");
    let alerts_now = || scalar(&app, &sql);
    let plain = reqwest::Client::new();
    // A link scanner opens it: a button, and nothing changes.
    for _ in 0..2 {
        let res = plain.get(app.url(&path)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        let page = res.text().await.expect("page");
        assert!(page.contains("Stop these emails") && page.contains(r#"method="post""#), "{page}");
    }
    assert_eq!(alerts_now().await, 1);
    // The mail program's one click: no cookie, no form token.
    let res = one_click(&app, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("page").contains("You will get no more of these emails"));
    assert_eq!(alerts_now().await, 0, "goal emails are off for them, as on the dashboard");
    let again = plain.get(app.url(&path)).send().await.expect("sent").text().await.expect("page");
    assert!(again.contains("You will get no more of these emails") && !again.contains(r#"method="post""#));
    // The next milestone is recorded and told to nobody.
    sign(&app, "staffing", 2, 1).await;
    eventually("75% recorded", || async { milestones(&app, id).await == [25, 50, 75] }).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM emails").await, 1, "none even written");
    // A link that is not one of ours.
    for bad in ["/unsubscribe/nothing", "/unsubscribe/%00", &format!("/unsubscribe/{}", "a".repeat(100))] {
        let res = plain.post(app.url(bad)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }
}

/// A letter's recipient stops its daily updates from a page in the letter's language.
#[tokio::test]
async fn a_spanish_letters_update_stops_from_a_spanish_page() {
    use undersigned::db::mail::{NewEmail, enqueue};
    let app = spawn_app_with(&[]).await;
    let id =
        app.petition("carta", entity::petition::Kind::Letter, entity::petition::Status::Open, "es").await;
    let token = "cartatokencartatokencarta0123456789";
    let email = NewEmail {
        kind: undersigned::letters::DIGEST,
        petition_id: Some(id),
        to: "Dana@Riverside.example".into(),
        subject: "Actualización".into(),
        text: "Actualización".into(),
        html: None,
        delivery_id: None,
        unsubscribe_token: Some(token.into()),
    };
    enqueue(&app.db.write, vec![email], chrono::Utc::now()).await.expect("written");
    let plain = reqwest::Client::new();
    let page = plain.get(app.url(&format!("/unsubscribe/{token}"))).send().await.expect("sent");
    let page = page.text().await.expect("page");
    assert!(page.contains(r#"lang="es""#) && page.contains("Dejar de recibir estos correos"), "{page}");
    let res = plain.post(app.url(&format!("/unsubscribe/{token}"))).send().await.expect("sent");
    let page = res.text().await.expect("page");
    assert!(page.contains("No recibirá más correos como este"), "{page}");
    let stopped =
        scalar(&app, "SELECT COUNT(*) AS n FROM unsubscribes WHERE address = 'dana@riverside.example'").await;
    assert_eq!(stopped, 1, "kept in lower case");
}

/// Emails sent before tokens were taken out on sending lose theirs on upgrade (more than one
/// batch of them); emails not yet sent keep theirs, for their links to work once they are, and
/// emails that never carried a token are left as written.
#[tokio::test]
async fn an_upgrade_takes_the_tokens_out_of_emails_already_sent() {
    use migration::{Migrator, MigratorTrait, SchemaManager};
    use undersigned::db::mail::{NewEmail, enqueue};
    let scratch = crate::helpers::scratch_database().await;
    let db = &scratch.db;
    let email = |kind: &'static str, link: &str, token: Option<&str>| NewEmail {
        kind,
        petition_id: None,
        to: "ana@example.org".into(),
        subject: "Update".into(),
        text: format!("Read it.\n\nhttps://x.example{link}\n"),
        html: Some(format!(r#"<p><a href="https://x.example{link}">Here</a></p>"#)),
        delivery_id: None,
        unsubscribe_token: token.map(str::to_owned),
    };
    let token = |n: usize| format!("{n:0>43}");
    let mut emails: Vec<NewEmail> = (0..520)
        .map(|n| email(undersigned::letters::DIGEST, &format!("/unsubscribe/{}", token(n)), Some(&token(n))))
        .collect();
    emails.push(email(undersigned::confirm::CONFIRM, "/confirm/C0nf1rm", None));
    // Written by staff, with a link of another site's.
    emails.push(email(undersigned::letters::LETTER, "/unsubscribe/theirs", None));
    // Not sent yet.
    emails.push(email(undersigned::letters::DIGEST, "/unsubscribe/Queued", Some("Queued")));
    enqueue(&db.write, emails, chrono::Utc::now()).await.expect("written");
    db.write
        .execute_raw(Statement::from_string(
            db.backend(),
            "UPDATE emails SET status = 'sent' WHERE unsubscribe_token IS NULL OR unsubscribe_token <> 'Queued'",
        ))
        .await
        .expect("marked sent");
    let before = stored_emails(db).await;
    let migration = Migrator::migrations()
        .into_iter()
        .find(|m| m.name() == "m20261203_000031_sent_email_tokens")
        .expect("the migration");
    // Run again, it changes nothing more.
    for _ in 0..2 {
        migration.up(&SchemaManager::new(&db.write)).await.expect("migrates");
        let after = stored_emails(db).await;
        for (n, row) in after.iter().take(520).enumerate() {
            assert_eq!(row[0], "Read it.\n\nhttps://x.example/unsubscribe/…\n", "{n}");
            assert_eq!(row[1], r#"<p><a href="https://x.example/unsubscribe/…">Here</a></p>"#, "{n}");
            assert_eq!(row[2], undersigned::domain::staff::token_id(&token(n)), "{n}");
        }
        assert_eq!(after[520][0], "Read it.\n\nhttps://x.example/confirm/…\n");
        assert_eq!(after[521], before[521], "an email that carried no token is left as written");
        assert_eq!(after[522], before[522], "an email not sent is left as it was");
    }
}
