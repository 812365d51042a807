//! Two server processes on one database with no sticky sessions, as the README's "Two or more
//! instances" deploys them: requests go to either at random, and between them no signature is
//! lost or counted twice, both show the same count within seconds, a staff session works on
//! both, and the work they do in the background (here the confirmation emails) is done once.
//! Webhooks sent once by two servers are tested in `webhooks.rs`, scheduled deliveries in
//! `letters.rs`.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use reqwest::StatusCode;

use crate::{
    admin::account,
    helpers::{ServerProcess, Signer, TEST_SECRET, TestApp, free_port, spawn_app_with},
    paper::scalar,
    smtp::SmtpSink,
};

/// The count `base` serves for `slug`.
async fn count_at(client: &reqwest::Client, base: &str, slug: &str) -> i64 {
    let res = client.get(format!("{base}/p/{slug}/count.json")).send().await.expect("sent");
    let body: serde_json::Value = res.json().await.expect("JSON");
    body["signatures"].as_i64().expect("a count")
}

/// Signs as `email` on `slug` through `base`; the response's status.
async fn sign(client: &reqwest::Client, base: &str, slug: &str, email: &str) -> StatusCode {
    let signer = Signer::new(email);
    client.post(format!("{base}/p/{slug}/sign")).form(&signer.fields).send().await.expect("sent").status()
}

#[tokio::test]
async fn two_instances_share_one_count_sessions_and_background_work() {
    let sink = SmtpSink::start().await;
    let smtp = sink.url();
    let app: TestApp = spawn_app_with(&[("SMTP_URL", &smtp)]).await;
    let id = app.open_petition("both").await;
    let confirming = app.open_petition("confirming").await;
    crate::confirm::exec(
        &app,
        &format!("UPDATE petitions SET require_confirmation = TRUE WHERE id = {confirming}"),
    )
    .await;
    // The same settings on both, the secret included (the test's server is given one).
    let other =
        ServerProcess::start_with(&app.db_url, &[("SMTP_URL", &smtp), ("SECRET_KEY", TEST_SECRET)]).await;
    let bases = [app.address.clone(), other.address.clone()];
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");

    // 100 people, each through one of the two, and 10 more who each sign through both at the
    // same moment (a double tap behind a load balancer).
    let mut signing = Vec::new();
    for i in 0..100 {
        let (client, base) = (client.clone(), bases[i % 2].clone());
        signing.push(tokio::spawn(async move {
            sign(&client, &base, "both", &format!("p{i}@example.org")).await
        }));
    }
    let mut twice = Vec::new();
    for i in 0..10 {
        for base in &bases {
            let (client, base) = (client.clone(), base.clone());
            twice.push(tokio::spawn(async move {
                sign(&client, &base, "both", &format!("twice{i}@example.org")).await
            }));
        }
    }
    for s in signing {
        assert_eq!(s.await.expect("signed"), StatusCode::SEE_OTHER);
    }
    // Each of the two answers is the thanks page: straight away (`200`, "you signed already")
    // for whichever came second.
    for s in twice {
        let status = s.await.expect("signed");
        assert!(status == StatusCode::SEE_OTHER || status == StatusCode::OK, "{status}");
    }
    let signed = Instant::now();
    // Each server re-reads the counts every second: both show all 110 soon after.
    loop {
        let (a, b) = (count_at(&client, &bases[0], "both").await, count_at(&client, &bases[1], "both").await);
        if a == 110 && b == 110 {
            break;
        }
        assert!(a <= 110 && b <= 110, "more counted than signed: {a} and {b}");
        assert!(signed.elapsed() < Duration::from_secs(5), "the counts did not meet: {a} and {b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rows = scalar(
        &app,
        &format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {id} AND status = 'validated'"),
    )
    .await;
    assert_eq!(rows, 110, "one row per person");
    assert_eq!(app.aggregates(id).await, 110);

    // A staff session begun on one works on the other, and ends on both.
    let staff = account(&app, "org@example.org", "organizer").await;
    for base in &bases {
        let res = staff.get(format!("{base}/admin")).send().await.expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "{base}");
    }
    let (_, page) = crate::admin::get(&staff, &app, "/admin").await;
    let csrf = crate::admin::csrf_of(&page);
    let res = staff.post(format!("{}/admin/logout", bases[1])).form(&[("csrf", csrf.as_str())]).send().await;
    assert_eq!(res.expect("sent").status(), StatusCode::SEE_OTHER);
    let res = staff.get(format!("{}/admin", bases[0])).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed out on the other too");
    // Sign-in attempts are limited across both: five wrong passwords for one account, three
    // through one server and two through the other, and the next is refused, even with the
    // right password, though neither server saw five.
    let guesser = crate::admin::browser();
    let (_, page) = crate::admin::get(&guesser, &app, "/admin/login").await;
    let csrf = crate::admin::csrf_of(&page);
    let try_at = async |base: &str, password: &str| {
        let form = [("email", "org@example.org"), ("password", password), ("csrf", csrf.as_str())];
        guesser.post(format!("{base}/admin/login")).form(&form).send().await.expect("sent").status()
    };
    for i in 0..5 {
        assert_eq!(try_at(&bases[i % 2], "guess guess guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(try_at(&bases[1], crate::admin::PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);

    // Twenty signers of a campaign that asks for confirmation, through both: one email each,
    // though both servers send mail.
    for i in 0..20 {
        assert_eq!(
            sign(&client, &bases[i % 2], "confirming", &format!("c{i}@example.org")).await,
            StatusCode::SEE_OTHER
        );
    }
    let got = sink.wait_for(20, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = if sink.messages().len() > got.len() { sink.messages() } else { got };
    let to: HashSet<&str> = got.iter().flat_map(|m| m.to.iter().map(String::as_str)).collect();
    assert_eq!(got.len(), 20, "one email per signer");
    assert_eq!(to.len(), 20);
    assert_eq!(count_at(&client, &bases[1], "confirming").await, 0, "none counts before confirming");
    drop(other);
}

/// The per-network and per-domain limits hold across two servers on PostgreSQL, where each
/// checks them in the database too as soon as it sees the other (the default,
/// `LIMIT_NETWORK_IN_DATABASE=auto`): one network signing through both in turn is let through
/// once a minute, as by one server; the rest are held, and each held signer is asked to
/// confirm. One email domain signing through both at once is let through as by one server
/// (except that a signature one server held for another limit takes no share in the other).
/// A server alone does not check, and stops once the other has stopped. (SQLite is served by
/// one process.)
#[tokio::test]
async fn the_network_limit_holds_across_two_instances() {
    let binds = [format!("127.0.0.1:{}", free_port()), format!("127.0.0.1:{}", free_port())];
    let limit = ("LIMIT_NETWORK", "1/1m");
    let domain_limit = ("LIMIT_DOMAIN", "3/10m");
    let email_limit = ("LIMIT_EMAIL", "1/1m");
    let app: TestApp = spawn_app_with(&[limit, domain_limit, email_limit, ("METRICS_BIND", &binds[0])]).await;
    if app.db.backend() != sea_orm::DatabaseBackend::Postgres {
        return;
    }
    let id = app.open_petition("limited").await;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let checking = async |bind: &str| {
        let res = client.get(format!("http://{bind}/metrics")).send().await.expect("sent");
        let text = res.text().await.expect("text");
        let gauge = |name: &str| {
            text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<u64>().ok())
        };
        (gauge("undersigned_server_processes"), gauge("undersigned_network_limit_in_database"))
    };
    assert_eq!(checking(&binds[0]).await, (Some(1), Some(0)), "alone, no check in the database");
    let other = ServerProcess::start_with(
        &app.db_url,
        &[("SECRET_KEY", TEST_SECRET), limit, domain_limit, email_limit, ("METRICS_BIND", &binds[1])],
    )
    .await;
    for bind in &binds {
        crate::mail::eventually("each sees the other", || async {
            checking(bind).await == (Some(2), Some(1))
        })
        .await;
    }
    let bases = [app.address.clone(), other.address.clone()];
    // Six people on this machine's one network, through one server and then the other (at a
    // large provider, which has no domain limit).
    for i in 0..6 {
        assert_eq!(
            sign(&client, &bases[i % 2], "limited", &format!("n{i}@gmail.com")).await,
            StatusCode::SEE_OTHER
        );
    }
    let status =
        |s: &str| format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {id} AND status = '{s}'");
    assert_eq!(scalar(&app, &status("validated")).await, 1, "one a minute, whichever server");
    assert_eq!(scalar(&app, &status("held")).await, 5);
    // Every held signer has a link to confirm with, and its email.
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM confirmations WHERE petition_id = {id}")).await,
        5
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) AS n FROM emails WHERE kind = 'signature.confirm'").await, 5);
    // At once, on another campaign: ten through both servers at the same moment, one let
    // through (each server's own limiter would let one through).
    let rush = app.open_petition("rush").await;
    let mut at_once = Vec::new();
    for i in 0..10 {
        let (client, base) = (client.clone(), bases[i % 2].clone());
        at_once.push(tokio::spawn(
            async move { sign(&client, &base, "rush", &format!("m{i}@gmail.com")).await },
        ));
    }
    for s in at_once {
        assert_eq!(s.await.expect("signed"), StatusCode::SEE_OTHER);
    }
    let rushed = |s: &str| {
        format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {rush} AND status = '{s}'")
    };
    assert_eq!(scalar(&app, &rushed("validated")).await, 1, "one, not one per server");
    assert_eq!(scalar(&app, &rushed("held")).await, 9);
    // A marked shared site is not limited by either; on a second campaign, only its domains
    // are.
    let domains = app.open_petition("domains").await;
    for petition in [id, domains] {
        crate::confirm::exec(
            &app,
            &format!(
                "INSERT INTO shared_sites (petition_id, network, label, added_by, added_at) \
                 VALUES ({petition}, '127.0.0.1/32', 'Test', 'test', CURRENT_TIMESTAMP)"
            ),
        )
        .await;
    }
    // Each server reads the campaign again once its copy is a second old: ask, then wait.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for base in &bases {
        for slug in ["limited", "domains"] {
            assert!(client.get(format!("{base}/p/{slug}")).send().await.expect("sent").status().is_success());
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..4 {
        assert_eq!(
            sign(&client, &bases[i % 2], "limited", &format!("s{i}@gmail.com")).await,
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(scalar(&app, &status("validated")).await, 5);
    crate::mail::eventually("the count shows them", || async { app.count("limited").await == 5 }).await;
    // Eight at one hospital's own domain, through both servers at once: three let through, as
    // by one server (each server's own limiter would let three through), the rest held and
    // asked to confirm. The domain is kept with each.
    let mut at_once = Vec::new();
    for i in 0..8 {
        let (client, base) = (client.clone(), bases[i % 2].clone());
        at_once.push(tokio::spawn(async move {
            sign(&client, &base, "domains", &format!("d{i}@Hospital.example")).await
        }));
    }
    for s in at_once {
        assert_eq!(s.await.expect("signed"), StatusCode::SEE_OTHER);
    }
    let of_domain = |s: &str| {
        format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {domains} AND status = '{s}'")
    };
    assert_eq!(scalar(&app, &of_domain("validated")).await, 3, "three, not three per server");
    assert_eq!(scalar(&app, &of_domain("held")).await, 5);
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM confirmations WHERE petition_id = {domains}")).await,
        5
    );
    assert_eq!(
        scalar(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {domains} \
                 AND email_domain = 'hospital.example'"
            )
        )
        .await,
        8
    );
    // A held signature takes no one's place: held by one server for another limit (its address
    // signed elsewhere a moment ago), it counts against its domain in that server's memory but
    // not in the database, so three more at its domain through the other are let through.
    let elsewhere = app.open_petition("elsewhere").await;
    assert_eq!(sign(&client, &bases[0], "elsewhere", "twice@clinic.example").await, StatusCode::SEE_OTHER);
    assert_eq!(sign(&client, &bases[0], "domains", "twice@clinic.example").await, StatusCode::SEE_OTHER);
    for i in 0..3 {
        assert_eq!(
            sign(&client, &bases[1], "domains", &format!("c{i}@clinic.example")).await,
            StatusCode::SEE_OTHER
        );
    }
    let at_clinic = |s: &str| {
        format!(
            "SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {domains} \
             AND email_domain = 'clinic.example' AND status = '{s}'"
        )
    };
    assert_eq!(scalar(&app, &at_clinic("held")).await, 1, "the address signed twice in a minute");
    assert_eq!(scalar(&app, &at_clinic("validated")).await, 3, "all three, as the limit allows");
    // A fourth through the first server, whose memory has seen one try at the domain: the
    // database holds it.
    assert_eq!(sign(&client, &bases[0], "domains", "c3@clinic.example").await, StatusCode::SEE_OTHER);
    assert_eq!(scalar(&app, &at_clinic("held")).await, 2, "over the limit across both");
    assert_eq!(scalar(&app, &at_clinic("validated")).await, 3);
    // Addresses at a large provider keep no domain.
    assert_eq!(
        scalar(&app, &format!("SELECT COUNT(*) AS n FROM signatures WHERE email_domain IS NOT NULL AND petition_id NOT IN ({domains}, {elsewhere})"))
            .await,
        0
    );
    // Stopped, the other says so: the one left checks in memory only again at its next look,
    // well before the other's row would be taken for gone (10 s).
    assert!(other.terminate().success());
    let stopped = Instant::now();
    while checking(&binds[0]).await != (Some(1), Some(0)) {
        assert!(stopped.elapsed() < Duration::from_secs(4), "still checking in the database");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
