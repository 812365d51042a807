//! The signature writer: request handlers validate a signature, then hand it to the writer task
//! over a bounded channel. The writer takes whatever is waiting (up to [`MAX_BATCH`]), stores it
//! in one transaction with one tally update per petition, and answers each handler only after
//! the commit. A batch that fails is retried one signature at a time, so one bad row never
//! fails the others.
//!
//! One writer per server suits both databases. SQLite has one writer at a time anyway. On
//! PostgreSQL every batch ends by updating its petition's tally row, which it holds until its
//! commit is flushed, so concurrent writers on a busy petition queue behind each other's commits
//! with smaller batches: signing with 64 connections on the benchmark machine did 9,000/s at a
//! p99 of 12–13 ms with one writer, 8,200/s at 14 ms with two, 8,200/s at 15–16 ms with four and
//! 6,500/s at 22–24 ms with eight.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use chrono::{SubsecRound, Utc};
use entity::signature;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, Statement,
    TransactionTrait,
};
use thiserror::Error;
use tokio::{
    sync::{Notify, mpsc, oneshot},
    task::JoinHandle,
};

use super::{
    confirmations::{self, NewLink},
    mail, rollup, signatures,
    webhooks::{self, NewFact},
};
use crate::{
    confirm::Ask,
    domain::{ShareCode, SignatureInput},
    limits::{Held, Rate},
    peers::Peers,
    tally::{Counts, Tally},
};

/// The first key of the advisory locks the limits checked in the database take per petition
/// (`"sign"`).
const LIMIT_LOCKS: i32 = 0x7369_676e;

/// Most signatures committed in one transaction.
pub const MAX_BATCH: usize = 512;
/// Signatures that may wait for a writer before handlers wait to hand theirs over.
const QUEUE: usize = 4096;

/// A validated signature for one petition.
#[derive(Debug)]
pub struct NewSignature {
    pub petition_id: i64,
    pub input: SignatureInput,
    /// The petition asks signers to confirm their address, or the signature is held: it is
    /// stored `pending` (or `held`), with this link and its email (written only if the
    /// signature is new).
    pub confirm: Option<Ask>,
    /// Over a limit: stored `held`, counted once confirmed or released by staff.
    pub held: bool,
    /// Its network's limit applies (it is not in one of the petition's shared sites): checked
    /// again in the database on PostgreSQL.
    pub network_limited: bool,
    /// Its email domain's limit applies (signed through the public form, not at a large
    /// provider): the domain is stored with it and checked again in the database on
    /// PostgreSQL.
    pub domain_limited: bool,
}

/// The limits checked against the stored signatures while several server processes sign into
/// one database (`LIMIT_NETWORK`, `LIMIT_DOMAIN`).
#[derive(Clone, Debug, Default)]
pub struct StoredLimits {
    pub network: Vec<Rate>,
    pub domain: Vec<Rate>,
}

/// What became of a signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signed {
    /// Stored: the signature's id and the signer's share code; `held_here`, the policy, if it
    /// was held by the database's check of its network or domain (the handler's limiters let
    /// it through), so no confirmation was asked for yet.
    New { id: i64, share_code: ShareCode, held_here: Option<Held> },
    /// This person had already signed; nothing changed.
    AlreadySigned,
}

#[derive(Debug, Error)]
pub enum WriteError {
    #[error("storing a signature failed")]
    Db(#[from] DbErr),
    #[error("the signature writer has stopped")]
    Closed,
}

struct Job {
    sig: NewSignature,
    /// Lock order inside a batch (several server processes may write to one PostgreSQL).
    canonical: String,
    /// The order it came in (about the order the handlers' limiters saw): the database's check
    /// of the limits judges a batch in it.
    arrived: u64,
    reply: oneshot::Sender<Result<Signed, WriteError>>,
}

/// The handle request handlers use. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SignatureWriter {
    tx: mpsc::Sender<Job>,
    stats: Arc<WriterStats>,
}

/// What the writer has done since it started.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Transactions committed or tried, one per batch.
    pub batches: AtomicU64,
    /// Batches that failed as a whole and were retried one signature at a time.
    pub retried_one_by_one: AtomicU64,
    /// Signatures stored, by the status they were stored with.
    pub validated: AtomicU64,
    pub pending: AtomicU64,
    pub held: AtomicU64,
    pub fraudulent: AtomicU64,
    /// Signatures of people who had signed already (nothing stored).
    pub repeated: AtomicU64,
}

impl WriterStats {
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    pub fn retried_one_by_one(&self) -> u64 {
        self.retried_one_by_one.load(Ordering::Relaxed)
    }
}

/// The running writer task; it ends once every [`SignatureWriter`] is dropped and the queue is
/// drained.
#[derive(Debug)]
pub struct WriterTask(JoinHandle<()>);

impl WriterTask {
    /// Waits until every queued signature is committed and the writer has stopped.
    pub async fn join(self) {
        if let Err(e) = self.0.await {
            tracing::error!(error = %e, "signature writer task failed");
        }
    }
}

impl SignatureWriter {
    /// Starts the writer on `db`; it updates `counts` after its commits, wakes `outbox` after a
    /// commit that wrote webhook deliveries and `mail` after one that wrote emails.
    pub fn start(
        db: DatabaseConnection,
        counts: Counts,
        outbox: Arc<Notify>,
        mail: Arc<Notify>,
        limits: StoredLimits,
        peers: Arc<Peers>,
    ) -> (Self, WriterTask) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::<WriterStats>::default();
        let ctx = Context { counts, stats: stats.clone(), outbox, mail, limits, peers };
        (Self { tx, stats }, WriterTask(tokio::spawn(run(db, rx, ctx))))
    }

    pub fn stats(&self) -> Arc<WriterStats> {
        self.stats.clone()
    }

    /// Stores a signature and returns once it is committed (or known to be a repeat).
    pub async fn sign(&self, sig: NewSignature) -> Result<Signed, WriteError> {
        let (reply, answer) = oneshot::channel();
        // Online signatures always have an address (paper entries, without, are not written here).
        let Some(canonical) = sig.input.email.as_ref().map(crate::domain::Email::canonical) else {
            return Err(WriteError::Db(DbErr::Custom("a signature without an email address".into())));
        };
        static ARRIVED: AtomicU64 = AtomicU64::new(0);
        let arrived = ARRIVED.fetch_add(1, Ordering::Relaxed);
        self.tx.send(Job { sig, canonical, arrived, reply }).await.map_err(|_| WriteError::Closed)?;
        answer.await.map_err(|_| WriteError::Closed)?
    }
}

/// What the writer task works with besides the database.
struct Context {
    counts: Counts,
    stats: Arc<WriterStats>,
    outbox: Arc<Notify>,
    mail: Arc<Notify>,
    /// Checked against stored signatures while `peers` says so.
    limits: StoredLimits,
    peers: Arc<Peers>,
}

impl Context {
    /// The limits to check a batch against in the database: none unless several processes
    /// sign into it (or `LIMIT_NETWORK_IN_DATABASE` says always).
    fn limits(&self) -> Option<&StoredLimits> {
        self.peers.limit_in_database().then_some(&self.limits)
    }
}

async fn run(db: DatabaseConnection, mut rx: mpsc::Receiver<Job>, ctx: Context) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        ctx.stats.batches.fetch_add(1, Ordering::Relaxed);
        commit(&db, batch, &ctx).await;
    }
}

/// Stores a batch and answers each of its signers. Failures are not logged here: each goes
/// back to its request, which logs it once.
async fn commit(db: &DatabaseConnection, mut batch: Vec<Job>, ctx: &Context) {
    batch.sort_by(|a, b| a.canonical.cmp(&b.canonical));
    let jobs: Vec<&Job> = batch.iter().collect();
    match write(db, &jobs, ctx.limits()).await {
        Ok((outcomes, tallies)) => {
            record(ctx, &tallies);
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                // A handler that went away (client disconnected) no longer needs the answer.
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(job) = batch.pop() {
                let _ = job.reply.send(Err(e.into()));
            }
        }
        Err(_) => {
            ctx.stats.retried_one_by_one.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(size = batch.len(), "a batch failed; storing its signatures one by one");
            for job in batch {
                let result = write(db, &[&job], ctx.limits()).await;
                let answer = match result {
                    Ok((mut outcomes, tallies)) => {
                        record(ctx, &tallies);
                        outcomes.pop().ok_or(WriteError::Closed)
                    }
                    Err(e) => Err(e.into()),
                };
                let _ = job.reply.send(answer);
            }
        }
    }
}

/// After a commit: the new counts, and a wake-up for the webhook worker if deliveries were
/// written, and for the mail sender if emails were.
fn record(ctx: &Context, after: &After) {
    let s = &ctx.stats;
    for (counter, n) in [
        (&s.validated, after.stored[0]),
        (&s.pending, after.stored[1]),
        (&s.held, after.stored[2]),
        (&s.fraudulent, after.stored[3]),
        (&s.repeated, after.repeated),
    ] {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
    for (petition_id, tally) in &after.tallies {
        ctx.counts.record(*petition_id, *tally);
    }
    if after.enqueued {
        ctx.outbox.notify_one();
    }
    crate::mail::written(&after.emails, crate::confirm::CONFIRM, &ctx.mail);
}

/// What a committed transaction leaves to do.
#[derive(Default)]
struct After {
    /// The new tallies.
    tallies: Vec<(i64, Tally)>,
    /// Webhook deliveries were written.
    enqueued: bool,
    /// Confirmation emails written.
    emails: Vec<i64>,
    /// Signatures stored: validated, pending, held, fraudulent.
    stored: [u64; 4],
    /// Repeats of earlier signatures (nothing stored).
    repeated: u64,
}

/// What a transaction did: per job, its outcome, and what is left to do after it.
type Written = (Vec<Signed>, After);

/// One transaction: every signature, then one tally update per petition (in id order), then
/// the webhook deliveries that report the new signatures.
async fn write(
    db: &DatabaseConnection,
    jobs: &[&Job],
    limits: Option<&StoredLimits>,
) -> Result<Written, DbErr> {
    // Both databases keep microseconds: `now` is what they will hand back.
    let now = Utc::now().trunc_subsecs(6);
    let share_codes: Vec<ShareCode> = jobs.iter().map(|_| ShareCode::generate()).collect();
    let mut rows: Vec<signatures::NewRow<'_>> = jobs
        .iter()
        .zip(&share_codes)
        .map(|(job, share_code)| signatures::NewRow {
            petition_id: job.sig.petition_id,
            status: if job.sig.input.suspected_bot {
                signature::Status::Fraudulent
            } else if job.sig.held {
                signature::Status::Held
            } else if job.sig.confirm.is_some() {
                signature::Status::Pending
            } else {
                signature::Status::Validated
            },
            input: &job.sig.input,
            canonical: &job.canonical,
            share_code,
            paper_batch_id: None,
            limited_domain: if job.sig.domain_limited {
                job.canonical.rsplit_once('@').map(|(_, d)| d)
            } else {
                None
            },
        })
        .collect();
    let txn = db.begin().await?;
    let held_here = match limits {
        Some(limits) => hold_over_limits(&txn, &mut rows, jobs, limits, now).await?,
        None => vec![None; rows.len()],
    };
    let stored = signatures::insert_batch(&txn, &rows, now).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut added: BTreeMap<i64, i64> = BTreeMap::new();
    let mut counted = rollup::Changes::default();
    let hour = rollup::hour_of(now);
    let (mut links, mut emails) = (Vec::new(), Vec::new());
    let (mut by_status, mut repeated) = ([0u64; 4], 0u64);
    for (((row, stored), job), held_here) in rows.iter().zip(&stored).zip(jobs).zip(held_here) {
        match (stored, row.status) {
            (None, _) => repeated += 1,
            (Some(_), signature::Status::Validated) => by_status[0] += 1,
            (Some(_), signature::Status::Pending) => by_status[1] += 1,
            (Some(_), signature::Status::Held) => by_status[2] += 1,
            (Some(_), _) => by_status[3] += 1,
        }
        outcomes.push(if let Some(stored) = stored {
            if matches!(row.status, signature::Status::Pending | signature::Status::Held)
                && let Some(ask) = &job.sig.confirm
            {
                links.push(NewLink {
                    signature_id: stored.id,
                    petition_id: row.petition_id,
                    token_hash: ask.token_hash.clone(),
                    locale: ask.locale.tag(),
                });
                emails.push(ask.email.clone());
            }
            if row.status == signature::Status::Validated {
                *added.entry(row.petition_id).or_default() += 1;
                counted.add(
                    rollup::Key::of(row.petition_id, &hour, &row.input.attribution, stored.new_supporter),
                    &row.input.region,
                    1,
                );
            }
            Signed::New { id: stored.id, share_code: row.share_code.clone(), held_here }
        } else {
            Signed::AlreadySigned
        });
    }
    let mut tallies = Vec::with_capacity(added.len());
    for (petition_id, delta) in added {
        let row = signatures::add_to_tally(&txn, petition_id, delta, now).await?;
        tallies.push((petition_id, Tally::from(&row)));
    }
    counted.write(&txn).await?;
    let enqueued = announce(&txn, &rows, &stored, &tallies, now).await?;
    confirmations::insert(&txn, links, now).await?;
    let emails = mail::enqueue(&txn, emails, now).await?;
    txn.commit().await?;
    Ok((outcomes, After { tallies, enqueued, emails, stored: by_status, repeated }))
}

/// The per-network and per-domain limits, checked against the stored signatures of the
/// batch's networks and domains (on PostgreSQL, where other server processes sign too and their
/// limiters are not this one's): a signature this process let through is held if, with every
/// signature let through from its network (or domain, on its petition), stored or earlier in
/// this batch, it goes over `LIMIT_NETWORK` (or `LIMIT_DOMAIN`; see
/// [`crate::limits::conforms`]). The batch's petitions are locked first (transaction-scoped
/// advisory locks, in one order), so two processes' batches of one petition are judged one
/// after the other; a try is judged no earlier than the last let through from its network or
/// domain ([`crate::limits::judged_at`]). Returns, per row, the policy that held it here.
async fn hold_over_limits(
    txn: &DatabaseTransaction,
    rows: &mut [signatures::NewRow<'_>],
    jobs: &[&Job],
    limits: &StoredLimits,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<Option<Held>>, DbErr> {
    let mut held = vec![None; rows.len()];
    // Only a signature still to be counted can be held here.
    let open = |row: &signatures::NewRow<'_>| {
        matches!(row.status, signature::Status::Validated | signature::Status::Pending)
    };
    let network_checked = |i: usize, row: &signatures::NewRow<'_>| {
        !limits.network.is_empty()
            && jobs[i].sig.network_limited
            && open(row)
            && row.input.network_hash.is_some()
    };
    let domain_checked =
        |row: &signatures::NewRow<'_>| !limits.domain.is_empty() && open(row) && row.limited_domain.is_some();
    let mut networks: Vec<&str> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| network_checked(*i, r))
        .filter_map(|(_, r)| r.input.network_hash.as_deref())
        .collect();
    let mut domains: Vec<&str> =
        rows.iter().filter(|r| domain_checked(r)).filter_map(|r| r.limited_domain).collect();
    if networks.is_empty() && domains.is_empty() {
        return Ok(held);
    }
    networks.sort_unstable();
    networks.dedup();
    domains.sort_unstable();
    domains.dedup();
    // One lock per petition (a network's hash is its petition's own, and a domain is limited
    // per petition), in id order, taken before anything else: batches of one petition from two
    // processes are judged one after the other, and nothing else takes these locks, so no cycle
    // can form.
    let mut petitions: Vec<i64> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| network_checked(*i, r) || domain_checked(r))
        .map(|(_, r)| r.petition_id)
        .collect();
    petitions.sort_unstable();
    petitions.dedup();
    let list =
        |items: &mut dyn Iterator<Item = String>| format!("{{{}}}", items.collect::<Vec<_>>().join(","));
    // The same statement has this transaction's statements planned for their own values: a
    // plan kept from when the table was small (a new database filling fast) would read every
    // signature in every batch for the look-ups below.
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock($2, k), set_config('plan_cache_mode', 'force_custom_plan', true) \
         FROM unnest($1::text::int[]) WITH ORDINALITY AS t(k, i) ORDER BY i",
        [list(&mut petitions.iter().map(i64::to_string)).into(), LIMIT_LOCKS.into()],
    ))
    .await?;
    // Two of the longest period: the limiters' state rarely depends on older tries.
    let since = |rates: &[Rate]| {
        let longest = rates.iter().map(|r| r.per).max().unwrap_or_default() * 2;
        now - chrono::Duration::from_std(longest).unwrap_or_default()
    };
    let mut by_network: HashMap<String, Vec<chrono::DateTime<Utc>>> =
        networks.iter().map(|h| ((*h).to_owned(), Vec::new())).collect();
    if !networks.is_empty() {
        let stored = txn
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT network_hash, signed_at FROM signatures WHERE network_hash = ANY($1::text::text[]) \
                 AND signed_at > $2 AND status NOT IN ('held', 'fraudulent') ORDER BY signed_at",
                [list(&mut networks.iter().map(|h| (*h).to_owned())).into(), since(&limits.network).into()],
            ))
            .await?;
        for r in stored {
            by_network.entry(r.try_get("", "network_hash")?).or_default().push(r.try_get("", "signed_at")?);
        }
    }
    let mut by_domain: HashMap<(i64, String), Vec<chrono::DateTime<Utc>>> = HashMap::new();
    if !domains.is_empty() {
        // Domains are written in their canonical form, which has no comma, quote or brace.
        let stored = txn
            .query_all_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT petition_id, email_domain, signed_at FROM signatures \
                 WHERE petition_id = ANY($1::text::bigint[]) AND email_domain = ANY($2::text::text[]) \
                 AND signed_at > $3 AND status NOT IN ('held', 'fraudulent') ORDER BY signed_at",
                [
                    list(&mut petitions.iter().map(i64::to_string)).into(),
                    list(&mut domains.iter().map(|d| (*d).to_owned())).into(),
                    since(&limits.domain).into(),
                ],
            ))
            .await?;
        for r in stored {
            let key = (r.try_get("", "petition_id")?, r.try_get("", "email_domain")?);
            by_domain.entry(key).or_default().push(r.try_get("", "signed_at")?);
        }
    }
    // In the order the signatures came in (a batch is sorted by address). Only signatures let
    // through count as tries, stored or in this batch: one held (by a handler or here, for
    // this limit or another) took no share of the limit it went over, and which of a burst a
    // handler held need not be the last to reach here, so counting it could hold one the
    // handler let through in its place.
    // A signer's repeat on one petition in the batch is not stored (the first in the batch
    // is), so it is no try.
    let mut seen = HashSet::with_capacity(rows.len());
    let repeat: Vec<bool> = rows.iter().map(|r| !seen.insert((r.petition_id, r.canonical))).collect();
    let mut arrival: Vec<usize> = (0..rows.len()).collect();
    arrival.sort_unstable_by_key(|&i| jobs[i].arrived);
    for i in arrival {
        let row = &mut rows[i];
        if !open(row) || repeat[i] {
            continue;
        }
        let (network, domain) = (network_checked(i, row), domain_checked(row));
        let network_tries = row.input.network_hash.as_ref().and_then(|h| by_network.get_mut(h));
        let domain_tries =
            row.limited_domain.map(|d| by_domain.entry((row.petition_id, d.to_owned())).or_default());
        let over = |rates: &[Rate], before: &Option<&mut Vec<_>>| {
            before
                .as_ref()
                .is_some_and(|b| !crate::limits::conforms(rates, b, crate::limits::judged_at(b, now)))
        };
        held[i] = if network && over(&limits.network, &network_tries) {
            Some(Held::Network)
        } else if domain && over(&limits.domain, &domain_tries) {
            Some(Held::Domain)
        } else {
            None
        };
        if held[i].is_some() {
            row.status = signature::Status::Held;
        } else {
            for before in network_tries.into_iter().chain(domain_tries) {
                before.push(crate::limits::judged_at(before, now));
            }
        }
    }
    Ok(held)
}

/// Writes a `signature.created` delivery for every new signature (not those flagged as a
/// bot's) to every endpoint that wants it: which signature, and the petition's count after this
/// batch; the body is made when it is sent. Returns whether it wrote any.
async fn announce(
    txn: &DatabaseTransaction,
    rows: &[signatures::NewRow<'_>],
    stored: &[Option<signatures::Stored>],
    tallies: &[(i64, Tally)],
    now: chrono::DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut facts: Vec<NewFact> = Vec::new();
    for (row, stored) in rows.iter().zip(stored) {
        let Some(signatures::Stored { id, .. }) = *stored else { continue };
        if row.status != signature::Status::Validated {
            continue;
        }
        let Some((_, tally)) = tallies.iter().find(|(p, _)| *p == row.petition_id) else { continue };
        facts.push(NewFact(id, row.petition_id, tally.validated));
    }
    Ok(webhooks::enqueue_signatures(txn, &facts, now).await? > 0)
}
