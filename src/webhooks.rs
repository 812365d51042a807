//! The webhook worker: takes due deliveries from the outbox, sends each (signed) to its
//! endpoint, and records the outcome: delivered, tried again later with a growing delay, or
//! given up as dead after the last attempt. Every server process runs one; a delivery is held by
//! one worker at a time, so each goes out once however many processes run.
//!
//! An endpoint cannot hold the worker up: each request has a time limit, redirects are not
//! followed, at most [`MAX_RESPONSE_BYTES`] of an answer are read, and host names are looked up
//! by a resolver that refuses private addresses (unless allowed), so a name that changes its
//! address after it was checked (DNS rebinding) still cannot reach the inside.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use chrono::Utc;
use futures::StreamExt;
use reqwest::{
    StatusCode,
    dns::{Addrs, Name, Resolve, Resolving},
    header,
};
use sea_orm::DatabaseConnection;
use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    config::WebhookSettings,
    db::webhooks::{self, Attempt, Claimed},
    domain::webhook::{SIGNATURE_HEADER, UrlError, check_url, is_public, retry_delay, signature_header},
};

/// Deliveries taken per round.
const CLAIM: u64 = 256;
/// Requests in flight at once.
const CONCURRENT: usize = 32;
/// Most of an endpoint's answer that is read (the rest is dropped with the connection).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How often the outbox is looked at without a wake-up (retries come due; other processes'
/// signatures).
const POLL: Duration = Duration::from_secs(1);

/// What the worker has done since it started.
#[derive(Debug, Default)]
pub struct WorkerStats {
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
}

/// The running worker.
#[derive(Debug)]
pub struct Worker {
    task: JoinHandle<()>,
    stats: Arc<WorkerStats>,
    stop: tokio::sync::watch::Sender<bool>,
    timeout: Duration,
}

impl Worker {
    /// Starts the worker on `db`; `wake` tells it that deliveries were just written.
    pub fn start(
        db: DatabaseConnection,
        settings: WebhookSettings,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let client = client(&settings)?;
        let stats = Arc::<WorkerStats>::default();
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let timeout = settings.timeout;
        let task = tokio::spawn(run(db, client, settings, wake, stats.clone(), stopping));
        Ok(Self { task, stats, stop, timeout })
    }

    pub fn stats(&self) -> Arc<WorkerStats> {
        self.stats.clone()
    }

    /// Stops after the round in flight is recorded (waiting at most one request's time limit
    /// and a little). Anything it still held is sent again when its lease ends, by this process
    /// after a restart or by another, with the same idempotency key.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(self.timeout + Duration::from_secs(2), &mut task).await.is_err() {
            task.abort();
        }
    }

    /// Stops at once, as a crash would.
    pub fn abort(self) {
        self.task.abort();
    }
}

/// The HTTP client for every endpoint.
pub fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .user_agent(concat!("Undersigned-Webhooks/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
        // A proxy would look up names itself, past the resolver's check.
        .no_proxy()
        // An answer is never unpacked (a small compressed body can be a huge one).
        .no_gzip()
        .no_brotli()
        .pool_max_idle_per_host(CONCURRENT)
        .dns_resolver(Arc::new(Guarded { allow_private: settings.allow_private }))
        .build()
}

/// Looks names up with the system resolver and keeps only the addresses an endpoint may have.
struct Guarded {
    allow_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            type Failure = Box<dyn std::error::Error + Send + Sync>;
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| Box::new(e) as Failure)?
                .collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| allow_private || is_public(a.ip())).collect();
            match (allowed.is_empty(), found.first()) {
                (false, _) => Ok::<Addrs, Failure>(Box::new(allowed.into_iter())),
                (true, Some(a)) => Err(Box::new(UrlError::Private(a.ip())) as Failure),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

async fn run(
    db: DatabaseConnection,
    client: reqwest::Client,
    settings: WebhookSettings,
    wake: Arc<Notify>,
    stats: Arc<WorkerStats>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    while !*stopping.borrow() {
        let now = Utc::now().timestamp_millis();
        // A lease a little different per claim, so a late finish cannot touch a later claim.
        let lease = now + settings.lease.as_millis() as i64 + i64::from(rand::random::<u16>() % 1000);
        let claimed = match webhooks::claim(&db, CLAIM, now, lease).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "reading the webhook outbox failed");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        if claimed.is_empty() {
            // Woken by a commit, or time to look again, or told to stop.
            tokio::select! {
                _ = tokio::time::timeout(POLL, wake.notified()) => {}
                _ = stopping.changed() => {}
            }
            continue;
        }
        let full = claimed.len() as u64 == CLAIM;
        if let Err(e) = deliver(&db, &client, &settings, claimed, &stats).await {
            tracing::warn!(error = %crate::error::chain(&e), "recording webhook deliveries failed; they are sent again later");
            tokio::time::sleep(POLL).await;
        } else if !full {
            // Let a few more gather before the next round.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Sends a round of claimed deliveries and records what became of them.
async fn deliver(
    db: &DatabaseConnection,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    claimed: Vec<Claimed>,
    stats: &WorkerStats,
) -> Result<(), sea_orm::DbErr> {
    let mut ids: Vec<i64> = claimed.iter().map(|c| c.webhook_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let endpoints = webhooks::endpoints(db, &ids).await?;
    let done: Vec<(Claimed, Attempt)> = futures::stream::iter(claimed)
        .map(|c| {
            let endpoint = endpoints.iter().find(|e| e.id == c.webhook_id);
            async move {
                let result = match endpoint {
                    Some(e) => send(client, settings, &e.url, &e.secret, &c).await,
                    None => Err((None, "the endpoint was removed".to_owned())),
                };
                let attempt = match result {
                    Ok(status) => Attempt::Delivered { status },
                    Err((status, error)) => {
                        let attempts = c.attempts + 1;
                        let retry_at_ms = (attempts < settings.max_attempts).then(|| {
                            Utc::now().timestamp_millis()
                                + retry_delay(attempts, settings.retry_base).as_millis() as i64
                        });
                        Attempt::Failed { status, error, retry_at_ms }
                    }
                };
                (c, attempt)
            }
        })
        .buffer_unordered(CONCURRENT)
        .collect()
        .await;
    let delivered = done.iter().filter(|(_, a)| matches!(a, Attempt::Delivered { .. })).count() as u64;
    let dead = done.iter().filter(|(_, a)| matches!(a, Attempt::Failed { retry_at_ms: None, .. })).count();
    if dead > 0 {
        tracing::warn!(dead, "webhook deliveries given up after their last attempt");
    }
    webhooks::finish(db, &done, Utc::now()).await?;
    stats.delivered.fetch_add(delivered, Ordering::Relaxed);
    stats.failed.fetch_add(done.len() as u64 - delivered, Ordering::Relaxed);
    Ok(())
}

/// One attempt: the status of a 2xx answer, or the status (if any) and what went wrong.
async fn send(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    url: &str,
    secret: &str,
    c: &Claimed,
) -> Result<i32, (Option<i32>, String)> {
    // A literal address is not looked up, so it is checked here.
    let url = check_url(url, settings.allow_private).map_err(|e| (None, e.to_string()))?;
    let body = c.payload.clone().into_bytes();
    let signature = signature_header(secret, Utc::now().timestamp(), &body);
    let response = client
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header("idempotency-key", &c.key)
        .header("x-undersigned-event", &c.event)
        .header("x-undersigned-attempt", (c.attempts + 1).to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| (None, describe(&e)))?;
    let status = response.status();
    let code = i32::from(status.as_u16());
    // Read a little of the answer so the connection can be used again; the rest is dropped.
    let mut response = response;
    let mut read = 0;
    while read < MAX_RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) | Err(_) => break,
        }
    }
    if status.is_success() {
        Ok(code)
    } else if status.is_redirection() {
        Err((Some(code), "the endpoint answered with a redirect, which is not followed".to_owned()))
    } else if status == StatusCode::GONE {
        Err((Some(code), "the endpoint answered 410 Gone".to_owned()))
    } else {
        Err((Some(code), format!("the endpoint answered {status}")))
    }
}

/// A request error with its causes (the resolver's refusal, a timeout, …), without the URL's
/// query.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    if causes.is_empty() { what.to_owned() } else { format!("{what}: {}", causes.join(": ")) }
}
