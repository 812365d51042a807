//! Counts stay exact under concurrency, and survive a crash.

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use tokio::{sync::Semaphore, task::JoinSet};

use crate::helpers::{ServerProcess, Signer, exported_emails, spawn_app};

/// What became of one signer's request.
struct Outcome {
    signer: Signer,
    /// `None` for a failed connection.
    status: Option<StatusCode>,
    /// When the request was sent and when its answer (or failure) came.
    sent: Instant,
    answered: Instant,
}

/// Fires `signers` at `base/p/{slug}/sign`, at most `concurrency` at a time.
async fn burst(base: &str, slug: &str, signers: Vec<Signer>, concurrency: usize) -> Vec<Outcome> {
    burst_counting(base, slug, signers, concurrency, Arc::default()).await
}

/// [`burst`], counting successful signatures in `acknowledged` as they are answered.
async fn burst_counting(
    base: &str,
    slug: &str,
    signers: Vec<Signer>,
    concurrency: usize,
    acknowledged: Arc<AtomicUsize>,
) -> Vec<Outcome> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let gate = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for signer in signers {
        let (client, gate, acknowledged) = (client.clone(), gate.clone(), acknowledged.clone());
        let url = format!("{base}/p/{slug}/sign");
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("semaphore open");
            let sent = Instant::now();
            let status = client.post(url).form(&signer.fields).send().await.ok().map(|r| r.status());
            let answered = Instant::now();
            if status == Some(StatusCode::SEE_OTHER) {
                acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Outcome { signer, status, sent, answered }
        });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        out.push(r.expect("task ran"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_signatures_with_duplicates_agree_everywhere() {
    let app = spawn_app().await;
    let id = app.open_petition("flood").await;
    let mut signers: Vec<Signer> =
        (0..1800).map(|i| Signer::new(&format!("person{i}@example.org"))).collect();
    // 200 repeats of earlier signers, spelled differently, mixed in.
    for i in 0..200 {
        let repeat = Signer::new(&format!("Person{}@Example.ORG", i * 9));
        signers.insert(i * 10 + 5, repeat);
    }
    assert_eq!(signers.len(), 2000);
    let results = burst(&app.address, "flood", signers, 64).await;
    let created = results.iter().filter(|o| o.status == Some(StatusCode::SEE_OTHER)).count();
    let already = results.iter().filter(|o| o.status == Some(StatusCode::OK)).count();
    assert_eq!((created, already), (1800, 200), "every request answered correctly");

    assert_eq!(app.rows(id).await, 1800, "stored rows");
    assert_eq!(app.recount(id).await, 1800, "recount");
    assert_eq!(app.count("flood").await, 1800, "count.json");
    assert_eq!(app.aggregates(id).await, 1800, "the dashboard's aggregates");
    let emails = exported_emails(&app, "flood");
    assert_eq!(emails.len(), 1800, "export");
    assert_eq!(emails.iter().collect::<HashSet<_>>().len(), 1800, "no one twice");
}

/// Every signature that got a success answer before a crash is stored and counted after a
/// restart, and the tally agrees with a recount.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_burst_loses_no_acknowledged_signature() {
    let app = spawn_app().await;
    let id = app.open_petition("crash").await;
    let server = ServerProcess::start(&app.db_url).await;
    // Let part of the burst land, then kill the server without warning.
    let firing = burst_under_way(&server, "crash", 3000, 300).await;
    server.kill();
    let acknowledged = acknowledged(&firing.await.expect("burst finished"));
    assert!(acknowledged.len() >= 300, "the burst was under way: {}", acknowledged.len());
    assert!(acknowledged.len() < 3000, "the kill landed mid-burst");

    // Restart on the same database.
    let server = ServerProcess::start(&app.db_url).await;
    let stored: HashSet<String> = exported_emails(&app, "crash").into_iter().collect();
    let lost: Vec<&String> = acknowledged.iter().filter(|e| !stored.contains(*e)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let recount = app.recount(id).await;
    assert_eq!(recount, i64::try_from(stored.len()).expect("fits"));
    let count: serde_json::Value = reqwest::get(format!("{}/p/crash/count.json", server.address))
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(count["signatures"].as_i64(), Some(recount), "the tally did not drift");

    // And signing goes on from there.
    let more = burst(&server.address, "crash", vec![Signer::new("after@example.org")], 1).await;
    assert_eq!(more[0].status, Some(StatusCode::SEE_OTHER));
    assert_eq!(app.recount(id).await, recount + 1);
    assert_eq!(server.terminate().code(), Some(0));
}

/// SIGTERM mid-burst: requests in flight when the signal arrives are finished and stored, and
/// the process exits cleanly. The test proves the burst was under way at the signal: some
/// requests sent before it were answered after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_signatures() {
    let app = spawn_app().await;
    let id = app.open_petition("term").await;
    let server = ServerProcess::start(&app.db_url).await;
    let n = 1500;
    let firing = burst_under_way(&server, "term", n, 100).await;
    let signal = Instant::now();
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "clean exit");
    let results = firing.await.expect("burst finished");
    let answered_before = results.iter().filter(|o| o.answered < signal).count();
    assert!(answered_before < n, "the burst had not ended when the signal was sent");
    let finished_across = results
        .iter()
        .filter(|o| o.sent < signal && o.answered > signal && o.status == Some(StatusCode::SEE_OTHER))
        .count();
    assert!(finished_across > 0, "requests in flight at the signal were finished and acknowledged");
    let acknowledged = acknowledged(&results);
    let stored: HashSet<String> = exported_emails(&app, "term").into_iter().collect();
    assert!(acknowledged.is_subset(&stored), "{} acknowledged, {} stored", acknowledged.len(), stored.len());
    let recount = app.recount(id).await;
    assert_eq!(recount, i64::try_from(stored.len()).expect("fits"));
    // The tally (read by the test's own server, which re-reads it every second) agrees.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.count("term").await, recount, "the tally did not drift");
}

/// Starts a burst of `n` new signers (`{slug}{i}@example.org`) on `server` in the background and
/// returns once `at_least` of them have been acknowledged.
async fn burst_under_way(
    server: &ServerProcess,
    slug: &'static str,
    n: usize,
    at_least: usize,
) -> tokio::task::JoinHandle<Vec<Outcome>> {
    let signers: Vec<Signer> = (0..n).map(|i| Signer::new(&format!("{slug}{i}@example.org"))).collect();
    let base = server.address.clone();
    let acked = Arc::new(AtomicUsize::new(0));
    let counter = acked.clone();
    let firing = tokio::spawn(async move { burst_counting(&base, slug, signers, 32, counter).await });
    wait_for(&acked, at_least).await;
    firing
}

/// The (lower-cased) emails of the signers who were told their signature was stored.
fn acknowledged(results: &[Outcome]) -> HashSet<String> {
    results
        .iter()
        .filter(|o| o.status == Some(StatusCode::SEE_OTHER))
        .map(|o| o.signer.email().to_lowercase())
        .collect()
}

/// Waits (up to 30 s) until at least `n` signatures have been acknowledged.
async fn wait_for(acknowledged: &AtomicUsize, n: usize) {
    for _ in 0..6000 {
        if acknowledged.load(Ordering::Relaxed) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("only {} signatures acknowledged in 30 s", acknowledged.load(Ordering::Relaxed));
}
