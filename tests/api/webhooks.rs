//! Webhooks against a real HTTP receiver started by each test: signed deliveries, scopes,
//! retries and dead letters, restarts, two servers, and endpoints that misbehave or are private.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use undersigned::{
    config::WebhookSettings,
    db::webhooks::{self, NewHook, Outgoing},
    domain::webhook::{Event, Scope, verify},
    webhooks::Worker,
};

use entity::webhook_delivery;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{ServerProcess, Signer, TestApp, scratch_database, spawn_app_with};

const SECRET: &str = "a-test-secret-of-some-length";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Got {
    path: String,
    headers: HeaderMap,
    body: String,
}

impl Got {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// A local endpoint: `/ok` (answers 500 to the first `fail_first` requests, then 200),
/// `/fail` (always 500), `/hang` (answers after a minute), `/redirect` (302 to a private
/// address), `/huge` (a 10 MB answer), `/slow` (204 after 50 ms).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    fail_first: Arc<AtomicUsize>,
    base: String,
}

impl Receiver {
    async fn start() -> Self {
        let mut r = Self::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        r.base = format!("http://127.0.0.1:{}", listener.local_addr().expect("an address").port());
        let app = Router::new().route("/{path}", post(receive)).with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn got(&self, path: &str) -> Vec<Got> {
        self.got.lock().expect("not poisoned").iter().filter(|g| g.path == path).cloned().collect()
    }

    /// Waits (up to 20 s) until `path` got at least `n` requests.
    async fn wait_for(&self, path: &str, n: usize) -> Vec<Got> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.got(path);
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "{path} got {} of {n} deliveries", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(
    State(r): State<Receiver>,
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/{path}");
    r.got.lock().expect("not poisoned").push(Got {
        path: path.clone(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    match path.as_str() {
        "/clicks" => StatusCode::OK.into_response(),
        "/ok" => {
            let failing = r.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if failing.is_ok() {
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            } else {
                StatusCode::OK.into_response()
            }
        }
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK.into_response()
        }
        "/redirect" => {
            (StatusCode::FOUND, [("location", "http://169.254.169.254/latest/meta-data")]).into_response()
        }
        "/huge" => vec![b'x'; 10 * 1024 * 1024].into_response(),
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(50)).await;
            StatusCode::NO_CONTENT.into_response()
        }
        "/slower" => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn hook(app: &TestApp, url: &str, events: &[Event], scope: Scope, petition_id: Option<i64>) -> i64 {
    webhooks::create(&app.db.write, NewHook { url, secret: SECRET, events, scope, petition_id })
        .await
        .expect("a webhook")
        .id
}

/// What the delivery rows say: status → count.
async fn statuses(db: &sea_orm::DatabaseConnection) -> HashMap<String, i64> {
    let [pending, delivered, dead] = webhooks::counts(db, None).await.expect("counts");
    [("pending", pending), ("delivered", delivered), ("dead", dead)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// [`statuses`] once nothing is pending (waiting up to 20 s).
async fn settled(db: &sea_orm::DatabaseConnection) -> HashMap<String, i64> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let s = statuses(db).await;
        if s["pending"] == 0 || Instant::now() > deadline {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An endpoint at `url` that hears of share clicks, with `n` deliveries already waiting for it
/// (bodies `{"id":…,"n":i}`); returns its id.
async fn backlog(db: &sea_orm::DatabaseConnection, url: &str, n: usize) -> i64 {
    let hook = NewHook {
        url,
        secret: SECRET,
        events: &[Event::ShareClicked],
        scope: Scope::Counts,
        petition_id: None,
    };
    let hook_id = webhooks::create(db, hook).await.expect("a webhook").id;
    let rows: Vec<Outgoing> = (0..n)
        .map(|i| Outgoing::new(hook_id, Event::ShareClicked, |key| format!(r#"{{"id":"{key}","n":{i}}}"#)))
        .collect();
    webhooks::enqueue(db, rows, chrono::Utc::now()).await.expect("queued");
    hook_id
}

fn allow_private() -> [(&'static str, &'static str); 1] {
    [("WEBHOOK_ALLOW_PRIVATE", "true")]
}

#[tokio::test]
async fn signed_deliveries_reach_a_real_endpoint_with_counts_only_or_contacts() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&allow_private()).await;
    let id = app.open_petition("hooked").await;
    app.open_petition("other").await;
    hook(&app, &receiver.url("/ok"), &[Event::SignatureCreated, Event::ShareClicked], Scope::Counts, None)
        .await;
    hook(&app, &receiver.url("/slow"), &[Event::SignatureCreated], Scope::Contacts, Some(id)).await;
    // Another endpoint hears of share clicks only.
    hook(&app, &receiver.url("/clicks"), &[Event::ShareClicked], Scope::Counts, None).await;

    let signer = Signer::new("rosa@example.org")
        .with("comment", "For my ward")
        .with("utm_campaign", "nov")
        .with("email_opt_in", "on");
    assert_eq!(app.sign_fresh("hooked", &signer).await.status(), StatusCode::SEE_OTHER);
    // Contact fields leave only with the signer's agreement.
    let private = Signer::new("quiet@example.org").with("comment", "Not for sharing");
    assert_eq!(app.sign_fresh("hooked", &private).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.sign_fresh("other", &Signer::new("omar@example.org")).await.status(),
        StatusCode::SEE_OTHER
    );

    let counts = receiver.wait_for("/ok", 3).await;
    let contacts = receiver.wait_for("/slow", 2).await;
    for g in counts.iter().chain(&contacts) {
        let now = chrono::Utc::now().timestamp();
        let signature = g.header("x-undersigned-signature");
        assert!(verify(SECRET, signature, g.body.as_bytes(), now, Duration::from_secs(300)), "{signature}");
        assert!(!verify("another-secret", signature, g.body.as_bytes(), now, Duration::from_secs(300)));
        let body = g.json();
        assert_eq!(body["id"], g.header("idempotency-key"), "the key is in the body and the header");
        assert_eq!(body["event"], "signature.created");
        assert_eq!(g.header("x-undersigned-event"), "signature.created");
        assert_eq!(g.header("content-type"), "application/json");
    }
    // Counts only: the petition, its count, where the signer came from; no person.
    let hooked = counts.iter().map(Got::json).find(|b| b["petition"]["slug"] == "hooked").expect("hooked");
    assert!(matches!(hooked["petition"]["total_signatures"].as_i64(), Some(1 | 2)), "{hooked}");
    assert_eq!(hooked["petition"]["browser_url"], "http://localhost:3000/p/hooked");
    assert_eq!(hooked["signature"]["custom_fields"]["utm_campaign"], "nov");
    assert!(hooked["signature"].get("person").is_none());
    for g in &counts {
        assert!(
            !g.body.contains("example.org") && !g.body.contains("Ana") && !g.body.contains("ward"),
            "{}",
            g.body
        );
    }
    // Contacts, for this petition only: OSDI names, for the signer who agreed.
    assert_eq!(contacts.len(), 2);
    assert!(contacts.iter().all(|g| !g.body.contains("quiet@") && !g.body.contains("Not for sharing")));
    let body =
        contacts.iter().map(Got::json).find(|b| b["signature"].get("person").is_some()).expect("a person");
    let person = &body["signature"]["person"];
    assert_eq!(person["given_name"], "Ana");
    assert_eq!(person["email_addresses"][0]["address"], "rosa@example.org");
    assert_eq!(person["postal_addresses"][0]["postal_code"], "94110");
    assert_eq!(body["signature"]["comments"], "For my ward");

    // Share clicks arrive as counts per network, with the next store of counted clicks.
    let phone = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (Linux; Android 14) Mobile")
        .build()
        .expect("a client");
    for _ in 0..2 {
        phone.get(app.url("/p/hooked/share/whatsapp")).send().await.expect("sent");
    }
    // The two clicks may be stored in one round or two.
    let deadline = Instant::now() + Duration::from_secs(20);
    let shares = loop {
        let shares: Vec<serde_json::Value> =
            receiver.got("/ok").iter().map(Got::json).filter(|b| b["event"] == "share.clicked").collect();
        if shares.iter().map(|b| b["share"]["clicks"].as_i64().unwrap_or(0)).sum::<i64>() >= 2 {
            break shares;
        }
        assert!(Instant::now() < deadline, "share clicks were not delivered: {shares:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for share in &shares {
        assert_eq!(share["share"]["network"], "whatsapp");
        assert_eq!(share["petition"]["slug"], "hooked");
    }
    let clicks_only = receiver.wait_for("/clicks", shares.len()).await;
    assert!(clicks_only.iter().all(|g| g.json()["event"] == "share.clicked"), "no signature events");
    // The receiver has them; the sender records that once its round is done.
    let s = settled(&app.db.read).await;
    assert_eq!((s["delivered"], s["pending"], s["dead"]), (5 + 2 * shares.len() as i64, 0, 0), "{s:?}");
}

#[tokio::test]
async fn failures_are_retried_with_the_same_key_then_given_up_and_sent_again_on_request() {
    let receiver = Receiver::start().await;
    let env =
        [("WEBHOOK_ALLOW_PRIVATE", "true"), ("WEBHOOK_RETRY_BASE_MS", "50"), ("WEBHOOK_MAX_ATTEMPTS", "3")];
    let app = spawn_app_with(&env).await;
    app.open_petition("retry").await;
    receiver.fail_first.store(2, Ordering::SeqCst);
    hook(&app, &receiver.url("/ok"), &[Event::SignatureCreated], Scope::Counts, None).await;
    let dead_hook = hook(&app, &receiver.url("/fail"), &[Event::SignatureCreated], Scope::Counts, None).await;
    assert_eq!(
        app.sign_fresh("retry", &Signer::new("ret@example.org")).await.status(),
        StatusCode::SEE_OTHER
    );

    // Two 500s, then delivered on the third attempt, with one key throughout.
    let got = receiver.wait_for("/ok", 3).await;
    let keys: Vec<&str> = got.iter().map(|g| g.header("idempotency-key")).collect();
    assert!(keys.iter().all(|k| *k == keys[0] && k.len() == 32), "{keys:?}");
    let attempts: Vec<&str> = got.iter().map(|g| g.header("x-undersigned-attempt")).collect();
    assert_eq!(attempts, ["1", "2", "3"]);
    // Always 500: dead after three attempts.
    receiver.wait_for("/fail", 3).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while statuses(&app.db.read).await["dead"] < 1 {
        assert!(Instant::now() < deadline, "the failing delivery was not given up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.got("/fail").len(), 3, "no attempt after the last");
    assert_eq!(receiver.got("/ok").len(), 3, "nothing sent again once delivered");

    let out = app.cli(&["webhook", "failures"]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.contains("dead") && listed.contains("HTTP 500") && listed.contains("attempts=3"),
        "{listed}"
    );
    let list = String::from_utf8_lossy(&app.cli(&["webhook", "list"]).stdout).into_owned();
    assert!(
        list.contains("pending=0 delivered=0 dead=1") && list.contains("pending=0 delivered=1 dead=0"),
        "{list}"
    );
    // Fixed on the other side: sent again on request, same key.
    let refused = app.cli(&["webhook", "retry"]);
    assert!(!refused.status.success());
    let update = format!("UPDATE webhooks SET url = '{}' WHERE id = {dead_hook}", receiver.url("/ok"));
    sea_orm::ConnectionTrait::execute_unprepared(&app.db.write, &update).await.expect("moved");
    let out = app.cli(&["webhook", "retry", "--all"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 deliveries"), "{out:?}");
    let got = receiver.wait_for("/ok", 4).await;
    let first_dead_key = receiver.got("/fail")[0].header("idempotency-key").to_owned();
    assert_eq!(got[3].header("idempotency-key"), first_dead_key);
    assert_eq!(settled(&app.db.read).await["delivered"], 2);
}

#[tokio::test]
async fn a_worker_that_dies_mid_queue_loses_nothing_and_duplicates_keep_their_key() {
    let receiver = Receiver::start().await;
    let scratch = scratch_database().await;
    let db = &scratch.db.write;
    let both = &scratch.db;
    let n = 400;
    backlog(db, &receiver.url("/slow"), n).await;
    let settings =
        WebhookSettings { allow_private: true, lease: Duration::from_secs(3), ..WebhookSettings::default() };
    let wake = Arc::new(tokio::sync::Notify::new());

    // The first worker crashes part-way through.
    let first = Worker::start(both.clone(), settings.clone(), "http://localhost:3000", wake.clone())
        .expect("a worker");
    receiver.wait_for("/slow", 40).await;
    first.abort();
    let sent_before = receiver.got("/slow").len();
    assert!(sent_before < n, "the crash came before the end ({sent_before})");
    // Two others take over, one of them after the crashed one's lease ends.
    let second = Worker::start(both.clone(), settings.clone(), "http://localhost:3000", wake.clone())
        .expect("a worker");
    let third = Worker::start(both.clone(), settings, "http://localhost:3000", wake).expect("a worker");
    let deadline = Instant::now() + Duration::from_secs(30);
    while statuses(db).await["delivered"] < n as i64 {
        assert!(Instant::now() < deadline, "not all delivered: {:?}", statuses(db).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    second.stop().await;
    third.stop().await;
    let got = receiver.got("/slow");
    let mut by_key: HashMap<String, (usize, String)> = HashMap::new();
    for g in &got {
        let e = by_key.entry(g.header("idempotency-key").to_owned()).or_insert((0, g.body.clone()));
        e.0 += 1;
        assert_eq!(e.1, g.body, "a repeat is the same delivery");
    }
    assert_eq!(by_key.len(), n, "every event arrived");
    let repeats = got.len() - n;
    // Only what the crashed worker held can come twice.
    assert!(repeats <= 256, "{repeats} repeats");
}

#[tokio::test]
async fn a_worker_told_to_stop_records_what_it_sent_and_lets_go_of_the_rest() {
    let receiver = Receiver::start().await;
    let scratch = scratch_database().await;
    let db = &scratch.db.write;
    let n = 300;
    backlog(db, &receiver.url("/slower"), n).await;
    // A round of 256 at 32 at a time and 0.4 s each takes 3.2 s: longer than a stop waits for a
    // whole round (the 1 s time limit and 2 s), and the lease is long.
    let settings = WebhookSettings {
        allow_private: true,
        timeout: Duration::from_secs(1),
        lease: Duration::from_secs(600),
        ..WebhookSettings::default()
    };
    let wake = Arc::new(tokio::sync::Notify::new());
    let worker = Worker::start(scratch.db.clone(), settings.clone(), "http://localhost:3000", wake.clone())
        .expect("a worker");
    receiver.wait_for("/slower", 40).await;
    worker.stop().await;
    let got = receiver.got("/slower").len();
    assert!(got < n, "stopped before the end ({got})");
    // Everything the endpoint got is recorded as delivered; nothing else is held.
    let s = statuses(db).await;
    assert_eq!((s["delivered"], s["pending"]), (got as i64, (n - got) as i64), "{s:?}");
    let held = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::LockedUntilMs.is_not_null())
        .count(db)
        .await
        .expect("counted");
    assert_eq!(held, 0, "the unsent deliveries were let go");
    // The next worker sends the rest at once (not after the 10-minute lease), none twice.
    let next = Worker::start(scratch.db.clone(), settings, "http://localhost:3000", wake).expect("a worker");
    let all = receiver.wait_for("/slower", n).await;
    next.stop().await;
    let mut keys: Vec<&str> = all.iter().map(|g| g.header("idempotency-key")).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!((keys.len(), all.len()), (n, n), "each once");
}

#[tokio::test]
async fn an_endpoint_that_hangs_with_a_backlog_does_not_hold_up_another() {
    let receiver = Receiver::start().await;
    let scratch = scratch_database().await;
    let db = &scratch.db.write;
    // The hanging endpoint (the older one) has 300 waiting; the other, one.
    backlog(db, &receiver.url("/hang"), 300).await;
    backlog(db, &receiver.url("/ok"), 1).await;
    // Each hanging request takes the whole 2 s: a round of the backlog takes 16 s.
    let settings = WebhookSettings {
        allow_private: true,
        timeout: Duration::from_secs(2),
        ..WebhookSettings::default()
    };
    let worker = Worker::start(scratch.db.clone(), settings, "http://localhost:3000", Arc::default())
        .expect("a worker");
    let started = Instant::now();
    receiver.wait_for("/ok", 1).await;
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(2), "the other endpoint waited {waited:?}");
    assert!(receiver.got("/hang").len() <= 32, "at most 32 requests at once to one endpoint");
    worker.stop().await;
}

#[tokio::test]
async fn with_two_servers_each_event_is_delivered_once() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&allow_private()).await;
    app.open_petition("twice").await;
    hook(&app, &receiver.url("/ok"), &[Event::SignatureCreated], Scope::Counts, None).await;
    let other = ServerProcess::start_with(&app.db_url, &allow_private()).await;
    let n = 120;
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let mut signing = Vec::new();
    for i in 0..n {
        // Half through each server.
        let base = if i % 2 == 0 { app.address.clone() } else { other.address.clone() };
        let client = client.clone();
        signing.push(tokio::spawn(async move {
            let signer = Signer::new(&format!("two{i}@example.org"));
            client
                .post(format!("{base}/p/twice/sign"))
                .form(&signer.fields)
                .send()
                .await
                .expect("sent")
                .status()
        }));
    }
    for s in signing {
        assert_eq!(s.await.expect("signed"), StatusCode::SEE_OTHER);
    }
    let got = receiver.wait_for("/ok", n).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got_now = receiver.got("/ok");
    let mut keys: Vec<&str> = got_now.iter().map(|g| g.header("idempotency-key")).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!((keys.len(), got_now.len()), (n, n), "each once ({} seen at first)", got.len());
    other.terminate();
}

#[tokio::test]
async fn endpoints_that_hang_redirect_or_flood_cannot_hold_anything_up() {
    let receiver = Receiver::start().await;
    let env =
        [("WEBHOOK_ALLOW_PRIVATE", "true"), ("WEBHOOK_TIMEOUT_SECONDS", "1"), ("WEBHOOK_MAX_ATTEMPTS", "1")];
    let app = spawn_app_with(&env).await;
    app.open_petition("stall").await;
    for path in ["/hang", "/redirect", "/huge", "/ok"] {
        hook(&app, &receiver.url(path), &[Event::SignatureCreated], Scope::Counts, None).await;
    }
    assert_eq!(app.sign_fresh("stall", &Signer::new("s1@example.org")).await.status(), StatusCode::SEE_OTHER);
    receiver.wait_for("/hang", 1).await;
    // Signing goes on while an endpoint hangs.
    let second = Signer::new("s2@example.org");
    let signing = tokio::time::timeout(Duration::from_secs(5), app.sign_fresh("stall", &second));
    assert_eq!(signing.await.expect("signing is not held up").status(), StatusCode::SEE_OTHER);
    receiver.wait_for("/ok", 2).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let s = statuses(&app.db.read).await;
        if s["pending"] == 0 {
            // Two signatures × (hang: dead, redirect: dead, huge: delivered, ok: delivered).
            assert_eq!((s["delivered"], s["dead"]), (4, 4), "{s:?}");
            break;
        }
        assert!(Instant::now() < deadline, "{s:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = String::from_utf8_lossy(&app.cli(&["webhook", "failures"]).stdout).into_owned();
    assert!(out.contains("timed out"), "{out}");
    assert!(out.contains("HTTP 302") && out.contains("redirect"), "{out}");
    assert_eq!(receiver.got("/redirect").len(), 2, "the redirect was not followed");
}

#[tokio::test]
async fn private_endpoints_are_refused_when_configured_and_again_when_delivered() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&[("WEBHOOK_RETRY_BASE_MS", "50"), ("WEBHOOK_MAX_ATTEMPTS", "2")]).await;
    let id = app.open_petition("private").await;
    let port = receiver.base.rsplit(':').next().expect("a port").to_owned();
    for url in [
        format!("http://127.0.0.1:{port}/ok"),
        format!("http://localhost:{port}/ok"),
        "http://169.254.169.254/latest".to_owned(),
        "http://[::1]/".to_owned(),
        "ftp://example.org/".to_owned(),
        "not a url".to_owned(),
    ] {
        let out = app.cli(&["webhook", "add", "--url", &url, "--events", "signature.created"]);
        assert!(!out.status.success(), "{url} was accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("WEBHOOK_ALLOW_PRIVATE") || err.contains("http") || err.contains("URL"),
            "{url}: {err}"
        );
    }
    let out =
        app.cli(&["webhook", "add", "--url", "https://hooks.example.org/x", "--events", "signature.sent"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown event"), "{out:?}");
    // Allowed, the same endpoint is added, and its secret shown once.
    let out = app.cli_with(
        &allow_private(),
        &[
            "webhook",
            "add",
            "--url",
            &format!("http://localhost:{port}/ok"),
            "--events",
            "signature.created",
            "--petition",
            "private",
        ],
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success() && said.contains("Secret"), "{out:?}");
    // This server does not allow private addresses: a name that now points inside (as DNS
    // rebinding would make it) is refused when it is looked up, and so is a literal address.
    hook(&app, &format!("http://127.0.0.1:{port}/ok"), &[Event::SignatureCreated], Scope::Counts, Some(id))
        .await;
    assert_eq!(
        app.sign_fresh("private", &Signer::new("p@example.org")).await.status(),
        StatusCode::SEE_OTHER
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while statuses(&app.db.read).await["dead"] < 2 {
        assert!(Instant::now() < deadline, "{:?}", statuses(&app.db.read).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(receiver.got("/ok").is_empty(), "nothing reached the private address");
    let out = String::from_utf8_lossy(&app.cli(&["webhook", "failures"]).stdout).into_owned();
    assert_eq!(out.lines().filter(|l| l.contains("private")).count(), 2, "{out}");
    // Removing the endpoint removes its deliveries.
    let list = String::from_utf8_lossy(&app.cli(&["webhook", "list"]).stdout).into_owned();
    let first = list.split_whitespace().next().expect("an id").to_owned();
    assert!(app.cli(&["webhook", "remove", &first]).status.success());
    assert!(!app.cli(&["webhook", "remove", &first]).status.success(), "already gone");
    assert_eq!(statuses(&app.db.read).await["dead"], 1);
}

#[tokio::test]
async fn a_paused_endpoint_keeps_its_events_until_it_is_resumed() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&allow_private()).await;
    app.open_petition("paused").await;
    let id =
        hook(&app, &receiver.url("/ok"), &[Event::SignatureCreated], Scope::Counts, None).await.to_string();
    let out = app.cli(&["webhook", "pause", &id]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("paused"), "{out:?}");
    for i in 0..3 {
        let signer = Signer::new(&format!("wait{i}@example.org"));
        assert_eq!(app.sign_fresh("paused", &signer).await.status(), StatusCode::SEE_OTHER);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(receiver.got("/ok").is_empty(), "nothing is sent while paused");
    assert_eq!(statuses(&app.db.read).await["pending"], 3);
    assert!(String::from_utf8_lossy(&app.cli(&["webhook", "list"]).stdout).contains("(paused)"));
    assert!(app.cli(&["webhook", "resume", &id]).status.success());
    assert!(!app.cli(&["webhook", "resume", "999"]).status.success(), "no such webhook");
    let got = receiver.wait_for("/ok", 3).await;
    let totals: Vec<i64> =
        got.iter().map(|g| g.json()["petition"]["total_signatures"].as_i64().unwrap_or(0)).collect();
    assert_eq!(totals.iter().max(), Some(&3), "{totals:?}");
}
