//! Letters handed over by email: each recipient with an address gets the letter with its packet
//! attached, each one's fate is recorded (a bounce fails that one only), and no one who kept
//! their name private is named in it; schedules that deliver by themselves, once per threshold
//! however many processes watch; and the recipients' daily update.

use std::time::Duration;

use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};

use crate::{
    admin::{account, audit_actions, get, location, submit},
    campaigns::{campaign_id, letter, post_editor, with},
    deliveries::{poppler, read_pdf, signer},
    helpers::{ServerProcess, TestApp, spawn_app_with},
    mail::eventually,
    paper::scalar,
    smtp::SmtpSink,
};

const RECIPIENTS: &str = "Dana Whitfield; CEO; Riverside Health; dana@riverside.example\n\
                          Sam Ortiz; Chair; Riverside Board; sam@board.example\n\
                          Lee Park; Trustee; Riverside Board";

/// A published letter to [`RECIPIENTS`]; returns its id.
async fn letter_to(app: &TestApp, organizer: &reqwest::Client, slug: &str) -> i64 {
    let mut fields = letter(slug);
    for (k, v) in [("publish", "1"), ("ask_postal_code", "optional"), ("recipients", RECIPIENTS)] {
        fields = with(fields, k, v);
    }
    let res = post_editor(organizer, app, "/admin/campaigns/new", "/admin/campaigns", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    campaign_id(&location(&res))
}

#[tokio::test]
async fn the_letter_reaches_each_recipient_with_its_packet_and_a_bounce_fails_only_its_own() {
    let sink = SmtpSink::start().await;
    sink.refuse("sam@board.example");
    let app =
        spawn_app_with(&[("SMTP_URL", &sink.url()), ("MAIL_FROM", "Nurses United <letters@example.org>")])
            .await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_to(&app, &organizer, "safe-staffing").await;
    // The editor keeps the addresses, and the public page never shows them.
    let (_, editor) = get(&organizer, &app, &format!("/admin/campaigns/{id}")).await;
    assert!(editor.contains("Dana Whitfield; CEO; Riverside Health; dana@riverside.example"), "{editor}");
    let public = app.get("/p/safe-staffing").await.text().await.expect("page");
    assert!(public.contains("Dana Whitfield") && !public.contains("riverside.example"), "{public}");
    for s in [
        signer("jose@example.org", "José", "Núñez", "3 West", true),
        signer("hidden@example.org", "Secretia", "Hiddenbaum", "ICU", false),
    ] {
        assert_eq!(app.sign_fresh("safe-staffing", &s).await.status(), StatusCode::SEE_OTHER);
    }
    let page = format!("/admin/campaigns/{id}/deliveries");
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("Lee Park, Trustee, Riverside Board (no email address)"), "{html}");
    let res = submit(
        &organizer,
        &app,
        &page,
        &page,
        &[("r0", "1"), ("r1", "1"), ("r2", "1"), ("name", "1"), ("send", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let record = location(&res);

    let got = sink.wait_for(1, Duration::from_secs(15)).await;
    let dana = &got[0];
    assert_eq!(dana.to, ["dana@riverside.example"]);
    let parsed = dana.parsed();
    assert_eq!(parsed.subject(), Some("Open letter: Safe staffing on 3 West"));
    let text = parsed.body_text(0).expect("a text part").to_string();
    assert!(text.starts_with("Dear Dana Whitfield,"), "{text}");
    assert!(text.contains("2 people signed as of"), "{text}");
    assert!(text.contains(&format!("http://localhost:3000{record}")), "{text}");
    let pdf = parsed.attachment(0).expect("the packet attached");
    assert_eq!(pdf.content_type().map(|c| c.ctype()), Some("application"));
    assert!(pdf.attachment_name().is_some_and(|n| n.ends_with("-packet.pdf")));
    let bytes = pdf.contents();
    assert!(bytes.starts_with(b"%PDF"));
    let raw = String::from_utf8_lossy(&dana.data);
    assert!(
        !raw.contains("Secretia") && !raw.contains("Hiddenbaum") && !raw.contains("hidden@"),
        "nobody private in the email"
    );
    if poppler() {
        let (packet, _) = read_pdf(bytes);
        assert!(packet.contains("José Núñez") && !packet.contains("Hiddenbaum"), "{packet}");
    }

    // Sam's server refused the address for good; Lee has none. Each recorded on the page.
    eventually("the bounce recorded", || async {
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM emails WHERE status = 'failed' AND to_address = 'sam@board.example'",
        )
        .await
            == 1
    })
    .await;
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE delivery_id IS NOT NULL").await, 2);
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("dana@riverside.example: sent"), "{html}");
    assert!(html.contains("sam@board.example: <strong>failed</strong>: permanent error (550)"), "{html}");
    assert!(!html.contains("Secretia"), "{html}");
    assert!(audit_actions(&app).await.iter().any(|(_, a, _)| a == "delivery.created"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "nothing else sent");
}

#[tokio::test]
async fn a_threshold_schedule_delivers_once_however_many_processes_watch() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "3600000")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_to(&app, &organizer, "every-two").await;
    assert_eq!(
        app.sign_fresh("every-two", &signer("a@example.org", "Ana", "Ruiz", "Ward 1", true)).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = format!("/admin/campaigns/{id}/deliveries");
    // Bad schedules: refused, saying why, keeping what was typed.
    let res = submit(
        &organizer,
        &app,
        &page,
        &format!("/admin/campaigns/{id}/schedules"),
        &[("kind", "threshold"), ("every", "lots"), ("s_name", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(html.contains("Write how many signatures") && html.contains(r#"value="lots""#), "{html}");
    let res =
        submit(&organizer, &app, &page, &format!("/admin/campaigns/{id}/schedules"), &[("kind", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Every 2 signatures from now (1), emailed to the recipients.
    let res = submit(
        &organizer,
        &app,
        &page,
        &format!("/admin/campaigns/{id}/schedules"),
        &[("kind", "threshold"), ("every", "2"), ("s_name", "1"), ("s_send", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("every 2 signatures (counted from 1), emailed to the recipients"), "{html}");
    assert!(html.contains("0 made so far"), "{html}");

    // The count reaches 3: the first threshold.
    for (email, given) in [("b@example.org", "Bo"), ("c@example.org", "Cy")] {
        assert_eq!(
            app.sign_fresh("every-two", &signer(email, given, "Lee", "Ward 1", false)).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    eventually("counted", || async { app.count("every-two").await == 3 }).await;
    // Two watchers at the same moment (the test's and another connection's), then two real
    // server processes watching every 100 ms: one delivery.
    let other = undersigned::db::Database::connect(&app.db_url).await.expect("connects");
    let wake = tokio::sync::Notify::new();
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        undersigned::letters::run_schedules(&app.db, "http://localhost:3000", &wake, now),
        undersigned::letters::run_schedules(&other, "http://localhost:3000", &wake, now),
    );
    a.expect("one watches");
    b.expect("the other watches");
    let env = [("GOAL_CHECK_MS", "100"), ("SMTP_URL", &sink.url() as &str)];
    let one = ServerProcess::start_with(&app.db_url, &env).await;
    let two = ServerProcess::start_with(&app.db_url, &env).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM deliveries WHERE petition_id = {id}")).await,
        1
    );
    assert_eq!(
        scalar(
            &app,
            "SELECT COUNT(*) AS n FROM scheduled_deliveries WHERE mark = 'n3' AND delivery_id IS NOT NULL"
        )
        .await,
        1
    );
    // The two recipients with an address got the letter, and the organizer heard of it.
    let got = sink.wait_for(3, Duration::from_secs(15)).await;
    let mut to: Vec<&str> = got.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    to.sort_unstable();
    assert_eq!(to, ["dana@riverside.example", "org@example.org", "sam@board.example"]);
    let note = got.iter().find(|m| m.to == ["org@example.org"]).expect("staff told");
    assert_eq!(note.parsed().subject(), Some("“Safe staffing on 3 West” was delivered: 3 signatures"));
    // One more signature is no new threshold; the fifth is.
    assert_eq!(
        app.sign_fresh("every-two", &signer("d@example.org", "Di", "Lee", "Ward 1", false)).await.status(),
        StatusCode::SEE_OTHER
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM deliveries WHERE petition_id = {id}")).await,
        1
    );
    assert_eq!(
        app.sign_fresh("every-two", &signer("e@example.org", "Ed", "Lee", "Ward 1", false)).await.status(),
        StatusCode::SEE_OTHER
    );
    eventually("the second delivery", || async {
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM deliveries WHERE petition_id = {id}")).await == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM deliveries WHERE petition_id = {id}")).await,
        2
    );
    drop((one, two));
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("2 made so far"), "{html}");

    // Removing it stops it; the deliveries stay.
    let sid = scalar(&app, "SELECT MIN(id) AS n FROM delivery_schedules").await;
    let res =
        submit(&organizer, &app, &page, &format!("/admin/campaigns/{id}/schedules/{sid}/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("No schedules.") && html.contains("Schedule removed"), "{html}");
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM deliveries WHERE petition_id = {id}")).await,
        2
    );
    let res =
        submit(&organizer, &app, &page, &format!("/admin/campaigns/{id}/schedules/{sid}/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    assert!(
        actions.contains(&"schedule.created".to_owned()) && actions.contains(&"schedule.removed".to_owned())
    );
}

/// Moves every signature's signing time to `at`.
pub(crate) async fn signed_at(app: &TestApp, at: chrono::DateTime<chrono::Utc>) {
    use entity::signature;
    use sea_orm::{EntityTrait, sea_query::Expr};
    signature::Entity::update_many()
        .col_expr(signature::Column::SignedAt, Expr::value(at))
        .exec(&app.db.write)
        .await
        .expect("moved");
}

#[tokio::test]
async fn recipients_hear_once_a_day_how_many_signed() {
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "3600000")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_to(&app, &organizer, "daily").await;
    for (email, given) in [("a@example.org", "Ana"), ("b@example.org", "Bo"), ("c@example.org", "Cy")] {
        assert_eq!(
            app.sign_fresh("daily", &signer(email, given, "Lee", "Ward 1", false)).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let page = format!("/admin/campaigns/{id}/deliveries");
    let digest = format!("/admin/campaigns/{id}/recipient-digest");
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    let (_, html) = get(&viewer, &app, &page).await;
    assert!(html.contains("Off.") && !html.contains("Send a daily update"), "{html}");
    let res = submit(&organizer, &app, &page, &digest, &[("on", "maybe")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = submit(&organizer, &app, &page, &digest, &[("on", "1")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&organizer, &app, &page).await;
    assert!(html.contains("Daily updates on") && html.contains("Stop the daily update"), "{html}");

    // Signed two hours ago: in the 24 hours before this hour's update.
    let now = chrono::Utc::now();
    let two_hours_ago = now - chrono::Duration::hours(2);
    signed_at(&app, two_hours_ago).await;
    let wake = tokio::sync::Notify::new();
    let hour = chrono::Timelike::hour(&now);
    // Before the day's hour: nothing.
    if hour < 23 {
        undersigned::letters::send_digests(&app.db, "http://localhost:3000", hour + 1, &wake, now)
            .await
            .expect("looked");
        assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM emails").await, 0);
    }
    // At it, two processes at once: one email to each recipient with an address.
    let other = undersigned::db::Database::connect(&app.db_url).await.expect("connects");
    let (a, b) = tokio::join!(
        undersigned::letters::send_digests(&app.db, "http://localhost:3000", hour, &wake, now),
        undersigned::letters::send_digests(&other, "http://localhost:3000", hour, &wake, now),
    );
    a.expect("one");
    b.expect("the other");
    undersigned::letters::send_digests(
        &app.db,
        "http://localhost:3000",
        hour,
        &wake,
        now + chrono::Duration::minutes(5),
    )
    .await
    .expect("again");
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM recipient_digests").await, 1);
    let rows = app
        .db
        .read
        .query_all_raw(Statement::from_string(
            app.db.backend(),
            "SELECT to_address, subject, text_body FROM emails ORDER BY id".to_owned(),
        ))
        .await
        .expect("read");
    let sent: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "to_address").expect("to"),
                r.try_get("", "subject").expect("subject"),
                r.try_get("", "text_body").expect("text"),
            )
        })
        .collect();
    assert_eq!(
        sent.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["dana@riverside.example", "sam@board.example"]
    );
    assert_eq!(sent[0].1, "Safe staffing on 3 West: 3 more in the last 24 hours");
    assert!(sent[0].2.starts_with("Dear Dana Whitfield,"), "{}", sent[0].2);
    assert!(
        sent[0].2.contains("3 more people signed “Safe staffing on 3 West” in the last 24 hours: 3 in all."),
        "{}",
        sent[0].2
    );
    assert!(!sent[0].2.contains("Ana") && !sent[0].2.contains("a@example.org"));
    // Each update carries its own link to stop them; Dana follows hers (a mail program's
    // one-click: a bare POST).
    let start = sent[0].2.find("http://localhost:3000/unsubscribe/").expect("a link to stop them");
    let link: String = sent[0].2[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(sent[1].2.contains("/unsubscribe/") && !sent[1].2.contains(&link), "a link of its own");
    let res = crate::mail::one_click(&app, &link).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Tomorrow, after more signed: Sam only.
    let tomorrow = now + chrono::Duration::days(1);
    signed_at(&app, now + chrono::Duration::hours(20)).await;
    undersigned::letters::send_digests(&app.db, "http://localhost:3000", hour, &wake, tomorrow)
        .await
        .expect("looked");
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM emails").await, 3);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE to_address = 'sam@board.example'").await,
        2
    );
    // Turned off: no more.
    let res = submit(&organizer, &app, &page, &digest, &[("on", "0")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = tomorrow + chrono::Duration::days(1);
    signed_at(&app, now + chrono::Duration::hours(44)).await;
    undersigned::letters::send_digests(&app.db, "http://localhost:3000", hour, &wake, after)
        .await
        .expect("looked");
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM emails").await, 3);
}

/// A signer who did not agree to be named is named nowhere: not in the letters emailed (nor
/// their packets), nor in the server's or the command line's most verbose logs, through
/// signing, paper, scheduled and command-line deliveries and sending.
#[tokio::test]
async fn a_private_signer_is_named_in_no_email_and_no_log() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "3600000")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_to(&app, &organizer, "private").await;
    let page = format!("/admin/campaigns/{id}/deliveries");
    let res = submit(
        &organizer,
        &app,
        &page,
        &format!("/admin/campaigns/{id}/schedules"),
        &[("kind", "threshold"), ("every", "3"), ("s_name", "1"), ("s_comment", "1"), ("s_send", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let paper = format!("/admin/campaigns/{id}/paper");
    let entry = [
        ("source", "Ward 3 sheets"),
        ("collected_on", "2026-11-20"),
        ("rows", "10"),
        ("r0_given_name", "Privata"),
        ("r0_family_name", "Papelero"),
        ("r0_postal_code", "94110"),
        ("r0_comment", "Papelero would rather not be named"),
    ];

    let log =
        std::env::temp_dir().join(format!("undersigned-private-{}.json", uuid::Uuid::new_v4().simple()));
    let env = [
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "debug"),
        ("GOAL_CHECK_MS", "100"),
        ("SMTP_URL", &sink.url() as &str),
        ("SECRET_KEY", crate::helpers::TEST_SECRET),
    ];
    let server = ServerProcess::start_logged(&app.db_url, &env, &log).await;
    // A private signer on paper, entered through the logged server (the staff session is the
    // same: one database, one key).
    let (_, form) = get(&organizer, &app, &paper).await;
    let csrf = crate::admin::csrf_of(&form);
    let mut fields = entry.to_vec();
    fields.push(("csrf", &csrf));
    let res = organizer.post(format!("{}{paper}", server.address)).form(&fields).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    for s in [
        signer("jose@example.org", "José", "Núñez", "3 West", true),
        signer("secretia.h@example.org", "Secretia", "Hiddenbaum", "ICU", false),
    ] {
        let res = client
            .post(format!("{}/p/private/sign", server.address))
            .form(&s.fields)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    // The third signature passed the schedule's threshold: two letters and the organizer's note.
    let got = sink.wait_for(3, Duration::from_secs(20)).await;
    let out = app.cli_with(
        &[("LOG_FORMAT", "json"), ("RUST_LOG", "debug")],
        &["delivery", "create", "--petition", "private", "--fields", "name,comment", "--email"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 emails to recipients written to the outbox"));
    let got = if got.len() >= 5 { got } else { sink.wait_for(5, Duration::from_secs(20)).await };
    assert_eq!(server.terminate().code(), Some(0));
    let text = std::fs::read_to_string(&log).expect("the log");
    let _ = std::fs::remove_file(&log);
    assert!(text.contains("a scheduled delivery was made") && text.contains("email sent"), "{text}");

    let private = ["Secretia", "Hiddenbaum", "secretia.h", "Privata", "Papelero"];
    let cli = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for name in private {
        assert!(!text.contains(name), "{name} in the server's log: {text}");
        assert!(!cli.contains(name), "{name} in the command line's output: {cli}");
    }
    let letters: Vec<_> = got.iter().filter(|m| m.to != ["org@example.org"]).collect();
    assert_eq!(letters.len(), 4, "two deliveries, two recipients with an address each");
    for m in &got {
        let parsed = m.parsed();
        let words = format!(
            "{:?}{}{}",
            parsed.subject(),
            parsed.body_text(0).unwrap_or_default(),
            parsed.body_html(0).unwrap_or_default()
        );
        assert!(words.contains("signed") || words.contains("delivered"), "{words}");
        for name in private {
            assert!(
                !words.contains(name) && !String::from_utf8_lossy(&m.data).contains(name),
                "{name} in an email: {words}"
            );
        }
    }
    if poppler() {
        for m in letters {
            let parsed = m.parsed();
            let (packet, _) = read_pdf(parsed.attachment(0).expect("a packet").contents());
            assert!(packet.contains("José Núñez"), "{packet}");
            for name in private {
                assert!(!packet.contains(name), "{name} in a packet: {packet}");
            }
        }
    }
}

/// A weekly schedule delivers as of its hour, once a week; one whose hour came before the
/// letter opened cannot deliver, and staff hear why.
#[tokio::test]
async fn a_weekly_schedule_delivers_as_of_its_hour_once_a_week() {
    use chrono::{Datelike, Timelike};
    let app = spawn_app_with(&[("GOAL_CHECK_MS", "3600000")]).await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let id = letter_to(&app, &organizer, "weekly").await;
    assert_eq!(
        app.sign_fresh("weekly", &signer("a@example.org", "Ana", "Ruiz", "Ward 1", true)).await.status(),
        StatusCode::SEE_OTHER
    );
    let now = chrono::Utc::now();
    let page = format!("/admin/campaigns/{id}/deliveries");
    let (weekday, hour) = (now.weekday().number_from_monday().to_string(), now.hour().to_string());
    let res = submit(
        &organizer,
        &app,
        &page,
        &format!("/admin/campaigns/{id}/schedules"),
        &[("kind", "weekly"), ("weekday", &weekday), ("hour", &hour), ("s_name", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let wake = tokio::sync::Notify::new();
    let run = async |at: chrono::DateTime<chrono::Utc>| {
        undersigned::letters::run_schedules(&app.db, "http://localhost:3000", &wake, at).await.expect("ran");
    };
    let deliveries = async || {
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM deliveries WHERE petition_id = {id}")).await
    };
    let emails =
        async || scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE to_address = 'org@example.org'").await;
    // Made this hour: this week's time came before the schedule was, so nothing yet.
    run(now).await;
    assert_eq!((deliveries().await, emails().await), (0, 0));

    // Made a week ago: this week's hour has come, but the letter opened after it.
    use sea_orm::{EntityTrait, sea_query::Expr};
    entity::delivery_schedule::Entity::update_many()
        .col_expr(entity::delivery_schedule::Column::CreatedAt, Expr::value(now - chrono::Duration::days(8)))
        .exec(&app.db.write)
        .await
        .expect("moved");
    run(now).await;
    assert_eq!(deliveries().await, 0, "a cut-off before the letter opened");
    assert_eq!(emails().await, 1, "the organizer hears why");
    let why = scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE subject LIKE '%could not be made%'").await;
    assert_eq!(why, 1);
    run(now).await;
    assert_eq!(emails().await, 1, "tried once a week, not every few seconds");

    // Next week, the letter having opened long before: delivered as of that hour, once.
    entity::petition::Entity::update_many()
        .col_expr(entity::petition::Column::OpenedAt, Expr::value(Some(now - chrono::Duration::days(30))))
        .exec(&app.db.write)
        .await
        .expect("moved");
    let next_week = now + chrono::Duration::days(7);
    run(next_week).await;
    run(next_week + chrono::Duration::minutes(5)).await;
    assert_eq!(deliveries().await, 1);
    let at = (next_week.date_naive().and_hms_opt(now.hour(), 0, 0).expect("an hour")).and_utc();
    let cutoff = app
        .db
        .read
        .query_one_raw(Statement::from_string(app.db.backend(), "SELECT cutoff FROM deliveries".to_owned()))
        .await
        .expect("read")
        .expect("a row")
        .try_get::<chrono::DateTime<chrono::Utc>>("", "cutoff")
        .expect("a time");
    assert_eq!(cutoff, at);
    assert_eq!(emails().await, 2, "the organizer hears of it");
}
