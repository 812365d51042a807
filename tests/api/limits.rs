//! Signing limits against a real server: signatures past a limit are held (not counted, the
//! signer sees the usual thanks page and gets a confirmation link) and count once confirmed;
//! `X-Forwarded-For` is believed only from trusted proxies; a flood is refused with `429`.

use std::time::Duration;

use reqwest::StatusCode;

use crate::{
    admin::{account, audit_actions, get, submit},
    helpers::{Signer, TestApp, spawn_app_with},
    paper::scalar,
    smtp::SmtpSink,
};

/// Waits until the server has read petition `slug` again (its record is kept a second, then read
/// again in the background on the next request).
async fn reread(app: &TestApp, slug: &str) {
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.get(&format!("/p/{slug}")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn held(app: &TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) AS n FROM signatures WHERE status = 'held'").await
}

/// Signs as `email` from a fresh client, as forwarded for `ip` (when given).
async fn sign_as(app: &TestApp, slug: &str, email: &str, ip: Option<&str>) -> reqwest::Response {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut req = client.post(app.url(&format!("/p/{slug}/sign"))).form(&Signer::new(email).fields);
    if let Some(ip) = ip {
        req = req.header("X-Forwarded-For", ip);
    }
    req.send().await.expect("sent")
}

#[tokio::test]
async fn fifty_signers_behind_one_address_are_held_then_count_as_they_confirm() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[
        ("SMTP_URL", &sink.url()),
        ("LIMIT_NETWORK", "1/1m,5/5m"),
        ("LIMIT_DOMAIN", "50/10m"),
        ("LIMIT_EMAIL", "20/1h"),
    ])
    .await;
    let id = app.open_petition("break-room").await;
    for i in 0..50 {
        let res = sign_as(&app, "break-room", &format!("nurse{i}@hospital.example"), None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        // The usual thanks page: nothing tells a script it was held.
        assert_eq!(res.headers()["location"], "/p/break-room/thanks");
    }
    assert_eq!(app.count("break-room").await, 1);
    assert_eq!(held(&app).await, 49);
    assert_eq!(app.aggregates(id).await, 1);
    // Held signatures are not exported as counted.
    let out = app.cli(&["export", "--petition", "break-room", "--status", "validated"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2, "the header and the one counted");
    let out = app.cli(&["export", "--petition", "break-room", "--status", "held"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        50,
        "the header and the 49 held, when asked for"
    );

    // Each held signer is asked to confirm, and each confirmation counts.
    let got = sink.wait_for(49, Duration::from_secs(30)).await;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    for m in &got {
        let text = m.parsed().body_text(0).expect("text").into_owned();
        let start = text.find("/confirm/").expect("a link");
        let path: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
        let res = client.post(app.url(&path)).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
    }
    assert_eq!(app.count("break-room").await, 50);
    assert_eq!(held(&app).await, 0);
    assert_eq!(app.aggregates(id).await, 50);
}

#[tokio::test]
async fn a_disposable_address_is_held_until_confirmed_and_a_list_of_ones_own_replaces_the_built_in_one() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[("SMTP_URL", &sink.url())]).await;
    app.open_petition("throwaway").await;
    for email in ["a@mailinator.com", "b@inbox.guerrillamail.com"] {
        let res = sign_as(&app, "throwaway", email, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()["location"], "/p/throwaway/thanks", "nothing tells them");
    }
    let res = sign_as(&app, "throwaway", "c@example.org", None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("throwaway").await, 1);
    assert_eq!(held(&app).await, 2);
    // Someone who reads the throwaway inbox can still count, once.
    let got = sink.wait_for(2, Duration::from_secs(30)).await;
    let text = got[0].parsed().body_text(0).expect("text").into_owned();
    let start = text.find("/confirm/").expect("a link");
    let path: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let res = app.client.post(app.url(&path)).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("throwaway").await, 2);
    assert_eq!(held(&app).await, 1);

    // A newer list, from a file, replaces the built-in one.
    let list = std::env::temp_dir().join(format!("disposable-{}.txt", std::process::id()));
    std::fs::write(&list, "# ours\nburner.example\n").expect("written");
    let app = spawn_app_with(&[("DISPOSABLE_DOMAINS", list.to_str().expect("path"))]).await;
    app.open_petition("ours").await;
    for email in ["a@burner.example", "b@mailinator.com"] {
        assert_eq!(sign_as(&app, "ours", email, None).await.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("ours").await, 1, "mailinator counts: the file replaced the list");
    assert_eq!(held(&app).await, 1);
    let _ = std::fs::remove_file(&list);
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // No trusted proxy: the header is anyone's to write, and is ignored.
    let app = spawn_app_with(&[("LIMIT_NETWORK", "1/1m")]).await;
    app.open_petition("spoof").await;
    for (i, ip) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"].into_iter().enumerate() {
        let res = sign_as(&app, "spoof", &format!("s{i}@gmail.com"), Some(ip)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("spoof").await, 1);
    assert_eq!(held(&app).await, 2);

    // Behind a trusted proxy: its word for the client's address, the rightmost it did not add.
    let app = spawn_app_with(&[("LIMIT_NETWORK", "1/1m"), ("TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.open_petition("proxied").await;
    let from = [
        "198.51.100.1",
        "198.51.100.2",
        "2001:db8:1:1::1",
        // A client that writes its own header: the proxy appends the real address.
        "203.0.113.9, 198.51.100.3",
        // The same /64 as above: held.
        "2001:db8:1:1::2",
        // Spoofing the left of the chain does not help.
        "198.51.100.77, 198.51.100.3",
    ];
    for (i, ip) in from.into_iter().enumerate() {
        let res = sign_as(&app, "proxied", &format!("p{i}@gmail.com"), Some(ip)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.count("proxied").await, 4);
    assert_eq!(held(&app).await, 2);
}

#[tokio::test]
async fn a_domain_past_its_limit_is_held_but_large_providers_are_not() {
    let app = spawn_app_with(&[("LIMIT_DOMAIN", "3/10m")]).await;
    app.open_petition("domains").await;
    for i in 0..5 {
        sign_as(&app, "domains", &format!("bot{i}@spam.example"), None).await;
        sign_as(&app, "domains", &format!("person{i}@gmail.com"), None).await;
    }
    assert_eq!(app.count("domains").await, 8);
    assert_eq!(held(&app).await, 2);
}

#[tokio::test]
async fn a_flood_is_refused_with_retry_after_and_nothing_stored() {
    let app = spawn_app_with(&[("LIMIT_FLOOD", "2/1m")]).await;
    let id = app.open_petition("flood").await;
    for i in 0..2 {
        assert_eq!(
            sign_as(&app, "flood", &format!("f{i}@gmail.com"), None).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let res = sign_as(&app, "flood", "f2@gmail.com", None).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = res.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=30).contains(&wait), "{wait}");
    assert!(res.text().await.expect("text").contains("<html"), "a page, not a bare status");
    assert_eq!(app.count("flood").await, 2);
    assert_eq!(app.rows(id).await, 2);
    // Pages still load.
    assert_eq!(app.get("/p/flood").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_bad_limit_setting_is_refused_at_start() {
    let cases: [(&str, &[(&str, &str)]); 10] = [
        ("LIMIT_NETWORK", &[("LIMIT_NETWORK", "1/week")]),
        ("LIMIT_FLOOD", &[("LIMIT_FLOOD", "many")]),
        ("LIMIT_DOMAIN", &[("LIMIT_DOMAIN", "0/1m")]),
        ("DISPOSABLE_DOMAINS", &[("DISPOSABLE_DOMAINS", "/no/such/list.txt")]),
        ("FORM_MIN_SECONDS", &[("FORM_MIN_SECONDS", "soon")]),
        ("CAPTCHA_PROVIDER", &[("CAPTCHA_PROVIDER", "recaptcha")]),
        ("CAPTCHA_SITE_KEY", &[("CAPTCHA_PROVIDER", "turnstile"), ("CAPTCHA_SECRET_KEY", "s")]),
        ("CAPTCHA_SECRET_KEY", &[("CAPTCHA_PROVIDER", "hcaptcha"), ("CAPTCHA_SITE_KEY", "k")]),
        (
            "CAPTCHA_VERIFY_URL",
            &[
                ("CAPTCHA_PROVIDER", "hcaptcha"),
                ("CAPTCHA_SITE_KEY", "k"),
                ("CAPTCHA_SECRET_KEY", "s"),
                ("CAPTCHA_VERIFY_URL", "ftp://verify.example"),
            ],
        ),
        // The secret would cross the network in the clear.
        (
            "CAPTCHA_VERIFY_URL",
            &[
                ("CAPTCHA_PROVIDER", "turnstile"),
                ("CAPTCHA_SITE_KEY", "k"),
                ("CAPTCHA_SECRET_KEY", "s"),
                ("CAPTCHA_VERIFY_URL", "http://verify.example/siteverify"),
            ],
        ),
    ];
    for (name, env) in cases {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .arg("migrate")
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/never-made.db?mode=rwc", std::env::temp_dir().display()),
            )
            .envs(env.iter().copied())
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{env:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(name), "{name}: {err}");
    }
}

#[tokio::test]
async fn staff_release_held_signatures_after_a_preview_and_a_paper_copy_stops_counting() {
    let app = spawn_app_with(&[("LIMIT_NETWORK", "1/1m")]).await;
    let id = app.open_petition("shift").await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let viewer = account(&app, "viewer@example.org", "viewer").await;
    for i in 0..5 {
        let domain = if i < 4 { "hospital.example" } else { "gmail.com" };
        sign_as(&app, "shift", &format!("n{i}@{domain}"), None).await;
    }
    // The last one has a name of her own, to be entered on paper too.
    let bea = Signer::new("bea@gmail.com")
        .with("given_name", "Bea")
        .with("family_name", "Soto")
        .with("postal_code", "10001");
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/p/shift/sign"))
        .form(&bea.fields)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!((app.count("shift").await, held(&app).await), (1, 5));
    let list = format!("/admin/campaigns/{id}/signatures");
    let (status, page) = get(&organizer, &app, &list).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Review and release held signatures") && page.contains(">Release</button>"),
        "{page}"
    );
    assert_eq!(get(&viewer, &app, &format!("{list}/release")).await.0, StatusCode::FORBIDDEN);

    // By domain: the preview shows three, and nothing changes until the button.
    let preview = format!("{list}/release?domain=hospital.example");
    let (status, page) = get(&organizer, &app, &preview).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("3 signatures held") && page.contains("Count these 3 signatures"), "{page}");
    assert_eq!(app.count("shift").await, 1);
    // A preview that is out of date releases nothing.
    let fields = [("domain", "hospital.example"), ("expected", "2")];
    let res = submit(&organizer, &app, &preview, &format!("{list}/release"), &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("text").contains("it is now 3"));
    assert_eq!(app.count("shift").await, 1);
    let fields = [("domain", "hospital.example"), ("expected", "3")];
    let res = submit(&organizer, &app, &preview, &format!("{list}/release"), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!((app.count("shift").await, held(&app).await), (4, 2));
    assert_eq!(app.aggregates(id).await, 4);

    // One from the list.
    let sid = scalar(&app, "SELECT MIN(id) AS n FROM signatures WHERE status = 'held'").await;
    let res = submit(&organizer, &app, &list, &format!("{list}/{sid}/release"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!((app.count("shift").await, held(&app).await), (5, 1));
    // Again: nothing more.
    submit(&organizer, &app, &list, &format!("{list}/{sid}/release"), &[]).await;
    assert_eq!(app.count("shift").await, 5);
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    assert!(actions.contains(&"signatures.released".to_owned()), "{actions:?}");
    assert!(actions.contains(&"signature.released".to_owned()), "{actions:?}");

    // The last held signer was also entered on paper (same name and postal code): the paper
    // entry counts until the online one does, then stops, so the person counts once.
    let paper = format!("/admin/campaigns/{id}/paper");
    let fields = [
        ("source", "Break room"),
        ("collected_on", &chrono::Utc::now().format("%Y-%m-%d").to_string()),
        ("r0_given_name", "Bea"),
        ("r0_family_name", "Soto"),
        ("r0_postal_code", "10001"),
    ];
    let res = submit(&organizer, &app, &paper, &paper, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    assert_eq!(app.count("shift").await, 6, "the paper entry counts while the online one is held");
    let (_, page) = get(&organizer, &app, &format!("{list}/release")).await;
    assert!(page.contains("1 signature held"), "{page}");
    let res = submit(
        &organizer,
        &app,
        &format!("{list}/release"),
        &format!("{list}/release"),
        &[("expected", "1")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("shift").await, 6, "released online, the paper copy stops counting");
    assert_eq!(held(&app).await, 0);
    assert_eq!(app.aggregates(id).await, 6);
}

#[tokio::test]
async fn a_shared_site_lifts_the_network_limit_for_its_petition_only() {
    let app = spawn_app_with(&[("LIMIT_NETWORK", "1/1m")]).await;
    let id = app.open_petition("hall").await;
    app.open_petition("other").await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let page = format!("/admin/campaigns/{id}/signatures/release");
    let action = format!("/admin/campaigns/{id}/shared-sites");

    // Too wide, or not a network, or without a label: refused, with what was typed.
    for (network, label, says) in [
        ("10.0.0.0/8", "Everyone", "too wide"),
        ("hall", "Union hall", "Type an address"),
        ("127.0.0.1", "", "Say what the site is"),
    ] {
        let res = submit(&organizer, &app, &page, &action, &[("network", network), ("label", label)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{network}");
        let body = res.text().await.expect("text");
        assert!(body.contains(says) && body.contains(&format!("value=\"{network}\"")), "{body}");
    }
    let res =
        submit(&organizer, &app, &page, &action, &[("network", "127.0.0.1"), ("label", "Union hall Wi-Fi")])
            .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = get(&organizer, &app, &page).await;
    assert!(body.contains("127.0.0.1/32") && body.contains("Union hall Wi-Fi"), "{body}");
    assert!(audit_actions(&app).await.iter().any(|(_, a, _)| a == "shared_site.added"));

    // Signing reads the petition again within a second.
    reread(&app, "hall").await;
    for i in 0..5 {
        sign_as(&app, "hall", &format!("m{i}@gmail.com"), None).await;
        sign_as(&app, "other", &format!("m{i}@gmail.com"), None).await;
    }
    assert_eq!(app.count("hall").await, 5, "the site's petition");
    assert_eq!(app.count("other").await, 1, "another petition keeps its limit");

    // Removed: the limit holds again.
    let sid = scalar(&app, "SELECT MIN(id) AS n FROM shared_sites").await;
    let res = submit(&organizer, &app, &page, &format!("{action}/{sid}/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    reread(&app, "hall").await;
    // (A minute later: on PostgreSQL the limit also counts what the network signed, stored,
    // the site's signatures included.)
    crate::letters::signed_at(&app, chrono::Utc::now() - chrono::Duration::minutes(2)).await;
    for email in ["late@gmail.com", "later@gmail.com", "latest@gmail.com"] {
        sign_as(&app, "hall", email, None).await;
    }
    assert_eq!(app.count("hall").await, 6, "one a minute again");
    assert_eq!(held(&app).await, 2 + 4, "and the rest held, here and on the other petition");
}

/// The form token on the page at `path` (empty if none).
async fn token_on(app: &TestApp, path: &str) -> String {
    let html = app.client.get(app.url(path)).send().await.expect("sent").text().await.expect("a page");
    let marker = r#"name="form_token" value=""#;
    html.find(marker)
        .map(|at| html[at + marker.len()..].chars().take_while(|c| *c != '"').collect())
        .unwrap_or_default()
}

/// Signs `slug` as `email` with `token` in the form.
async fn sign_with_token(app: &TestApp, slug: &str, email: &str, token: &str) -> reqwest::Response {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let signer = Signer::new(email).with("form_token", token);
    client.post(app.url(&format!("/p/{slug}/sign"))).form(&signer.fields).send().await.expect("sent")
}

#[tokio::test]
async fn a_form_sent_back_at_once_or_without_its_token_is_held_and_one_filled_in_counts() {
    let sink = SmtpSink::start().await;
    let app =
        spawn_app_with(&[("SMTP_URL", &sink.url()), ("FORM_MIN_SECONDS", "2"), ("FORM_MAX_HOURS", "48")])
            .await;
    app.open_petition("timed").await;
    let token = token_on(&app, "/p/timed").await;
    assert!(token.len() > 20, "the form carries a token: {token:?}");
    assert!(token_on(&app, "/embed/timed").await.len() > 20, "the embedded form too");
    let id = scalar(&app, "SELECT id AS n FROM petitions WHERE slug = 'timed'").await;
    crate::landing::landing_page(&app, "timed-ad", id, "en", entity::landing_page::Status::Live).await;
    assert!(token_on(&app, "/a/timed-ad").await.len() > 20, "and a landing page's");
    // Sent back at once, as a script would; with no token; with a made-up one.
    let (second, _) = token.split_once('.').expect("second.mac");
    let forged = format!("{}.{}", second.parse::<u64>().expect("a second") - 60, "ab".repeat(12));
    for (email, t) in
        [("fast@example.org", token.as_str()), ("none@example.org", ""), ("forged@example.org", &forged)]
    {
        let res = sign_with_token(&app, "timed", email, t).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{email}");
        assert_eq!(res.headers()["location"], "/p/timed/thanks", "nothing tells them");
    }
    assert_eq!(app.count("timed").await, 0);
    assert_eq!(held(&app).await, 3);
    sink.wait_for(3, Duration::from_secs(30)).await;
    // A form with an error comes back with the token it was served with.
    let res = sign_with_token(&app, "timed", "not an address", &token).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains(&token));
    // A person takes a few seconds.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = sign_with_token(&app, "timed", "person@example.org", &token).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count("timed").await, 1);
    // The page shows a new token each second, and a new one works in turn.
    let later = token_on(&app, "/p/timed").await;
    assert_ne!(later, token);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        sign_with_token(&app, "timed", "later@example.org", &later).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("timed").await, 2);
    assert_eq!(held(&app).await, 3);
}
