//! The webhook worker: takes due deliveries from the outbox, sends each (signed) to its
//! endpoint, and records the outcome: delivered, tried again later with a growing delay, or
//! given up as dead after the last attempt. Every server process runs one; a delivery is held by
//! one worker at a time, so each goes out once however many processes run.
//!
//! Each endpoint has its own lane: its deliveries are taken and sent in rounds of their own, so
//! a slow or failing endpoint delays only itself. An endpoint whose rounds keep failing rests a
//! while before the next (its deliveries wait, and are not counted as attempts).
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
        Event, PetitionRef, SIGNATURE_HEADER, Scope, SignatureFacts, UrlError, check_url, is_public,
        retry_delay, signature_created, signature_header,
    },
};

/// Deliveries one endpoint's round takes.
const ROUND: u64 = 256;
/// Requests in flight to one endpoint at once. A round is at most `ROUND / CONCURRENT` requests'
/// time limits long, which the lease covers (see `config`).
const CONCURRENT: usize = 32;
/// Endpoints sent to at once.
const LANES: usize = 8;
/// Rounds in a row in which every attempt failed before an endpoint rests.
const FAILED_ROUNDS_BEFORE_REST: u32 = 3;
/// The longest rest.
const MAX_REST: Duration = Duration::from_secs(300);
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

    /// Stops: a round under way starts no more requests, waits for those in flight (each within
    /// its time limit), records them, and lets the deliveries it did not send go at once to
    /// whichever worker comes next. If that takes longer than one request's time limit and two
    /// seconds (the database is slow to answer, say), the round is cut short, and what it held
    /// (sent or not) is sent again when its lease ends, with the same idempotency key.
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

/// An endpoint's recent luck: rounds in a row in which every attempt failed, and until when it
/// rests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Luck {
    failed_rounds: u32,
    rest_until: Option<std::time::Instant>,
}

impl Luck {
    /// After a round: `delivered` is whether any attempt got through.
    fn after_round(&mut self, delivered: bool, base: Duration, now: std::time::Instant) {
        if delivered {
            *self = Self::default();
            return;
        }
        self.failed_rounds += 1;
        self.rest_until = (self.failed_rounds >= FAILED_ROUNDS_BEFORE_REST).then(|| {
            let streak =
                i32::try_from(self.failed_rounds + 1 - FAILED_ROUNDS_BEFORE_REST).unwrap_or(i32::MAX);
            now + retry_delay(streak, base).min(MAX_REST)
        });
    }

    fn resting(&self, now: std::time::Instant) -> bool {
        self.rest_until.is_some_and(|until| now < until)
    }
}

/// What a lane reports when its round is done: the endpoint, and whether anything got through
/// (`None` if recording the round failed).
type RoundDone = (i64, Option<bool>);

async fn run(
    db: Database,
    client: reqwest::Client,
    settings: Settings,
    wake: Arc<Notify>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let settings = Arc::new(settings);
    let mut lanes: tokio::task::JoinSet<RoundDone> = tokio::task::JoinSet::new();
    let mut busy: std::collections::HashSet<i64> = std::collections::HashSet::new();
    let mut luck: std::collections::HashMap<i64, Luck> = std::collections::HashMap::new();
    // Where the next look for due deliveries starts, so that with more endpoints than lanes each
    // gets its turn.
    let mut first = 0usize;
    while !*stopping.borrow() {
        if lanes.len() < LANES {
            let now = std::time::Instant::now();
            match webhooks::active(&db.read).await {
                Ok(hooks) => {
                    first = if hooks.is_empty() { 0 } else { (first + 1) % hooks.len() };
                    for &hook in hooks[first..].iter().chain(&hooks[..first]) {
                        if lanes.len() >= LANES {
                            break;
                        }
                        if busy.contains(&hook) || luck.get(&hook).is_some_and(|l| l.resting(now)) {
                            continue;
                        }
                        match take(&db, &settings, hook).await {
                            Ok(claimed) if claimed.is_empty() => {}
                            Ok(claimed) => {
                                busy.insert(hook);
                                let lane = (db.clone(), client.clone(), settings.clone(), stopping.clone());
                                lanes.spawn(async move {
                                    let (db, client, settings, stopping) = lane;
                                    match deliver(&db, &client, &settings, claimed, stopping).await {
                                        Ok(delivered) => (hook, Some(delivered)),
                                        Err(e) => {
                                            tracing::warn!(error = %crate::error::chain(&e), "recording webhook deliveries failed; they are sent again later");
                                            (hook, None)
                                        }
                                    }
                                });
                            }
                            Err(e) => {
                                tracing::warn!(error = %crate::error::chain(&e), "reading the webhook outbox failed");
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %crate::error::chain(&e), "reading the webhook endpoints failed")
                }
            }
        }
        // A round done (its endpoint may have more), a commit's wake-up, time to look again, or
        // the stop. After a wake-up, a few milliseconds let more commits' deliveries gather.
        tokio::select! {
            Some(done) = lanes.join_next(), if !lanes.is_empty() => {
                settle(done, &mut busy, &mut luck, settings.hooks.retry_base);
            }
            woken = tokio::time::timeout(POLL, wake.notified()) => {
                if woken.is_ok() {
                    tokio::time::sleep(GATHER).await;
                }
            }
            _ = stopping.changed() => {}
        }
    }
    // Each lane has been told to stop too: it records what it sent and lets go of the rest.
    while let Some(done) = lanes.join_next().await {
        settle(done, &mut busy, &mut luck, settings.hooks.retry_base);
    }
}

/// Takes an endpoint's due deliveries for a round.
async fn take(db: &Database, settings: &Settings, hook: i64) -> Result<Vec<Claimed>, sea_orm::DbErr> {
    let now = Utc::now().timestamp_millis();
    // A lease a little different per claim, so a late finish cannot touch a later claim.
    let lease = now + settings.hooks.lease.as_millis() as i64 + i64::from(rand::random::<u16>() % 1000);
    webhooks::claim(&db.read, &db.write, hook, ROUND, now, lease).await
}

/// Notes a lane's finished round.
fn settle(
    done: Result<RoundDone, tokio::task::JoinError>,
    busy: &mut std::collections::HashSet<i64>,
    luck: &mut std::collections::HashMap<i64, Luck>,
    base: Duration,
) {
    let Ok((hook, delivered)) = done else {
        // A lane that panicked: its endpoint's deliveries go again when their lease ends.
        tracing::error!("a webhook round failed unexpectedly");
        return;
    };
    busy.remove(&hook);
    if let Some(delivered) = delivered {
        luck.entry(hook).or_default().after_round(delivered, base, std::time::Instant::now());
    }
}

/// Sends a round of one endpoint's claimed deliveries, records what became of them, and says
/// whether any got through. Told to stop, it starts no more requests, and lets go of the
/// deliveries it did not send.
async fn deliver(
    db: &Database,
    client: &reqwest::Client,
    settings: &Settings,
    claimed: Vec<Claimed>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> Result<bool, sea_orm::DbErr> {
    // A round is one endpoint's (see `take`).
    let hook: Vec<i64> = claimed.first().map(|c| c.webhook_id).into_iter().collect();
    let endpoints = webhooks::endpoints(&db.read, &hook).await?;
    let bodies = bodies(db, settings, &claimed, &endpoints).await?;
    let settings = &settings.hooks;
    let held: Vec<(i64, i64)> = claimed.iter().map(|c| (c.id, c.lease)).collect();
    let stopped = async move {
        // A dropped sender (the worker is gone) stops too.
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let done: Vec<(Claimed, Attempt)> = futures::stream::iter(claimed.into_iter().zip(bodies))
        .take_until(stopped)
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
    let delivered = done.iter().any(|(_, a)| matches!(a, Attempt::Delivered { .. }));
    webhooks::finish(&db.write, &done, Utc::now()).await?;
    if done.len() < held.len() {
        let sent: std::collections::HashSet<i64> = done.iter().map(|(c, _)| c.id).collect();
        let unsent: Vec<(i64, i64)> = held.into_iter().filter(|(id, _)| !sent.contains(id)).collect();
        webhooks::release(&db.write, &unsent).await?;
    }
    // A round cut short by the stop is no sign of the endpoint's health.
    Ok(delivered || done.is_empty())
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
            // Stamped with when the fact happened (signing, or confirming), whenever it is sent.
            let event = Event::parse(&c.event).unwrap_or(Event::SignatureCreated);
            let at = signatures.get(&id).map_or_else(Utc::now, |(s, _)| match event {
                Event::SignatureConfirmed => s.confirmed_at.unwrap_or(s.signed_at),
                _ => s.signed_at,
            });
            signature_created((&c.key, event), at, petition, total, id, facts, scope)
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
        job_title: s.job_title.as_deref(),
        worksite: s.worksite.as_deref(),
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    #[test]
    fn an_endpoint_rests_after_failed_rounds_and_is_back_after_one_that_works() {
        let base = Duration::from_secs(10);
        let now = Instant::now();
        let mut luck = Luck::default();
        for _ in 1..FAILED_ROUNDS_BEFORE_REST {
            luck.after_round(false, base, now);
            assert!(!luck.resting(now), "a failed round or two is no reason to rest");
        }
        luck.after_round(false, base, now);
        assert!(luck.resting(now) && luck.resting(now + base / 2 - Duration::from_millis(1)));
        assert!(
            !luck.resting(now + base + Duration::from_millis(1)),
            "the first rest is one base delay at most"
        );
        // Longer rests while it keeps failing, never beyond the longest.
        for _ in 0..30 {
            luck.after_round(false, base, now);
        }
        assert!(luck.resting(now + MAX_REST / 2 - Duration::from_millis(1)));
        assert!(!luck.resting(now + MAX_REST + Duration::from_millis(1)));
        luck.after_round(true, base, now);
        assert_eq!(luck, Luck::default());
        assert!(!luck.resting(now));
    }
}
