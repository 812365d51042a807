//! The webhook worker: takes due deliveries from the outbox, sends each (signed) to its
//! endpoint, and records the outcome: delivered, tried again later with a growing delay, or
//! given up as dead after the last attempt. Every server process runs one; a delivery is held by
//! one worker at a time, so each goes out once however many processes run.
//!
//! An endpoint cannot hold the worker up: each request has a time limit, redirects are not
//! followed, at most [`MAX_RESPONSE_BYTES`] of an answer are read, and host names are looked up
//! by a resolver that refuses private addresses (unless allowed), so a name that changes its
//! address after it was checked (DNS rebinding) still cannot reach the inside.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use chrono::Utc;
use futures::StreamExt;
use reqwest::{
    StatusCode,
    dns::{Addrs, Name, Resolve, Resolving},
    header,
};
use tokio::{sync::Notify, task::JoinHandle};

use crate::{
    config::WebhookSettings,
    db::{
        Database,
        webhooks::{self, Attempt, Claimed},
    },
    domain::webhook::{
        PetitionRef, SIGNATURE_HEADER, Scope, SignatureFacts, UrlError, check_url, is_public, retry_delay,
        signature_created, signature_header,
    },
};

/// Deliveries taken per round.
const CLAIM: u64 = 256;
/// Requests in flight at once.
const CONCURRENT: usize = 32;
/// Most of an endpoint's answer that is read (the rest is dropped with the connection).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// How long deliveries may gather before a round that is not full.
const GATHER: Duration = Duration::from_millis(10);
/// How often the outbox is looked at without a wake-up (retries come due; other processes'
/// signatures).
const POLL: Duration = Duration::from_secs(1);

/// The running worker.
#[derive(Debug)]
pub struct Worker {
    task: JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    timeout: Duration,
}

impl Worker {
    /// Starts the worker on `db`; `wake` tells it that deliveries were just written.
    /// `public_url` makes the petition links in the bodies made when sent.
    pub fn start(
        db: Database,
        settings: WebhookSettings,
        public_url: &str,
        wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        let client = client(&settings)?;
        let settings = Settings { hooks: settings, public_url: public_url.trim_end_matches('/').to_owned() };
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let timeout = settings.hooks.timeout;
        let task = tokio::spawn(run(db, client, settings, wake, stopping));
        Ok(Self { task, stop, timeout })
    }

    /// Stops between rounds, waiting for the round in flight at most one request's time limit
    /// and two seconds; a longer round is cut short, and what it held (sent or not) is sent
    /// again when its lease ends, by this process after a restart or by another, with the same
    /// idempotency key.
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

/// What the worker is told at start.
struct Settings {
    hooks: WebhookSettings,
    public_url: String,
}

async fn run(
    db: Database,
    client: reqwest::Client,
    settings: Settings,
    wake: Arc<Notify>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    while !*stopping.borrow() {
        let now = Utc::now().timestamp_millis();
        // A lease a little different per claim, so a late finish cannot touch a later claim.
        let lease = now + settings.hooks.lease.as_millis() as i64 + i64::from(rand::random::<u16>() % 1000);
        let claimed = match webhooks::claim(&db.read, &db.write, CLAIM, now, lease).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "reading the webhook outbox failed");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        if claimed.is_empty() {
            // Woken by a commit, or time to look again, or told to stop. After a wake-up, a few
            // milliseconds let more commits' deliveries gather into the next round.
            tokio::select! {
                woken = tokio::time::timeout(POLL, wake.notified()) => {
                    if woken.is_ok() {
                        tokio::time::sleep(GATHER).await;
                    }
                }
                _ = stopping.changed() => {}
            }
            continue;
        }
        let full = claimed.len() as u64 == CLAIM;
        if let Err(e) = deliver(&db, &client, &settings, claimed).await {
            tracing::warn!(error = %crate::error::chain(&e), "recording webhook deliveries failed; they are sent again later");
            tokio::time::sleep(POLL).await;
        } else if !full {
            tokio::time::sleep(GATHER).await;
        }
    }
}

/// Sends a round of claimed deliveries and records what became of them.
async fn deliver(
    db: &Database,
    client: &reqwest::Client,
    settings: &Settings,
    claimed: Vec<Claimed>,
) -> Result<(), sea_orm::DbErr> {
    let mut ids: Vec<i64> = claimed.iter().map(|c| c.webhook_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let endpoints = webhooks::endpoints(&db.read, &ids).await?;
    let bodies = bodies(db, settings, &claimed, &endpoints).await?;
    let settings = &settings.hooks;
    let done: Vec<(Claimed, Attempt)> = futures::stream::iter(claimed.into_iter().zip(bodies))
        .map(|(c, body)| {
            let endpoint = endpoints.iter().find(|e| e.id == c.webhook_id);
            async move {
                let result = match endpoint {
                    Some(e) => send(client, settings, &e.url, &e.secret, &c, body).await,
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
    let dead = done.iter().filter(|(_, a)| matches!(a, Attempt::Failed { retry_at_ms: None, .. })).count();
    if dead > 0 {
        tracing::warn!(dead, "webhook deliveries given up after their last attempt");
    }
    webhooks::finish(&db.write, &done, Utc::now()).await?;
    Ok(())
}

/// The body of each claimed delivery: the one made when the fact was stored, or a signature's,
/// made now from the stored signature (read in one query per round), in the endpoint's scope.
async fn bodies(
    db: &Database,
    settings: &Settings,
    claimed: &[Claimed],
    endpoints: &[entity::webhook::Model],
) -> Result<Vec<String>, sea_orm::DbErr> {
    let ids: Vec<i64> =
        claimed.iter().filter(|c| c.payload.is_none()).filter_map(|c| c.signature_id).collect();
    let signatures = webhooks::signatures(&db.read, &ids).await?;
    Ok(claimed
        .iter()
        .map(|c| {
            if let Some(payload) = &c.payload {
                return payload.clone();
            }
            let id = c.signature_id.unwrap_or_default();
            let scope = endpoints
                .iter()
                .find(|e| e.id == c.webhook_id)
                .and_then(|e| Scope::parse(&e.scope))
                .unwrap_or(Scope::Counts);
            let (facts, petition) = match signatures.get(&id) {
                Some((s, p)) => (Some(facts(s)), Some(p)),
                None => (None, None),
            };
            let url = petition.map(|p| format!("{}/p/{}", settings.public_url, p.slug)).unwrap_or_default();
            let petition = PetitionRef {
                slug: petition.map_or("", |p| p.slug.as_str()),
                title: petition.map_or("", |p| p.title.as_str()),
                url: &url,
            };
            // The count the petition reached with this signature (plus what staff entered).
            let total = c.total.map(|t| t + petition_offline(signatures.get(&id)));
            // Stamped with the signing time: when the fact happened, whenever it is sent.
            let at = signatures.get(&id).map_or_else(Utc::now, |(s, _)| s.signed_at);
            signature_created(&c.key, at, petition, total, id, facts, scope)
        })
        .collect())
}

fn petition_offline(found: Option<&(entity::signature::Model, entity::petition::Model)>) -> i64 {
    found.map_or(0, |(_, p)| p.offline_count)
}

fn facts(s: &entity::signature::Model) -> SignatureFacts<'_> {
    SignatureFacts {
        given_name: &s.given_name,
        family_name: &s.family_name,
        email: &s.email,
        postal_code: &s.postal_code,
        phone: s.phone.as_deref(),
        employer: s.employer.as_deref(),
        comment: s.comment.as_deref(),
        email_opt_in: s.email_opt_in,
        source: s.source.as_deref(),
        ref_code: s.ref_code.as_deref(),
        referrer: s.referrer.as_deref(),
        landing_page: s.landing_page.as_deref(),
        utm_source: s.utm_source.as_deref(),
        utm_medium: s.utm_medium.as_deref(),
        utm_campaign: s.utm_campaign.as_deref(),
        utm_content: s.utm_content.as_deref(),
        utm_term: s.utm_term.as_deref(),
    }
}

/// One attempt: the status of a 2xx answer, or the status (if any) and what went wrong.
async fn send(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    url: &str,
    secret: &str,
    c: &Claimed,
    body: String,
) -> Result<i32, (Option<i32>, String)> {
    // A literal address is not looked up, so it is checked here.
    let url = check_url(url, settings.allow_private).map_err(|e| (None, e.to_string()))?;
    let body = body.into_bytes();
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
