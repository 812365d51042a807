//! Webhook endpoints and their outbox. Facts and the deliveries that report them are written
//! in one transaction ([`enqueue_signatures`]; [`subscribed`] and [`enqueue`]); workers then [`claim`] due deliveries (one
//! worker per delivery, across server processes), send them and [`finish`] them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{petition, signature, webhook, webhook_delivery};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement, TransactionSession, TransactionTrait,
    sea_query::{Expr, Query},
};

use super::signatures::in_parts;
use crate::domain::webhook::{Event, Scope, new_key};

/// An endpoint, as the writers need it: which petitions it hears about.
#[derive(Clone, Debug)]
pub struct Hook {
    pub id: i64,
    pub petition_id: Option<i64>,
}

impl Hook {
    /// Whether this endpoint hears about petition `petition_id`.
    pub fn covers(&self, petition_id: i64) -> bool {
        self.petition_id.is_none_or(|p| p == petition_id)
    }
}

/// A new endpoint.
pub struct NewHook<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [Event],
    pub scope: Scope,
    pub petition_id: Option<i64>,
}

pub async fn create(db: &impl ConnectionTrait, hook: NewHook<'_>) -> Result<webhook::Model, DbErr> {
    let events: Vec<&str> = hook.events.iter().map(|e| e.name()).collect();
    webhook::ActiveModel {
        url: Set(hook.url.to_owned()),
        secret: Set(hook.secret.to_owned()),
        events: Set(events.join(",")),
        scope: Set(hook.scope.name().to_owned()),
        petition_id: Set(hook.petition_id),
        paused: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Pauses or resumes an endpoint; `false` if there is none.
pub async fn set_paused(db: &impl ConnectionTrait, id: i64, paused: bool) -> Result<bool, DbErr> {
    let done = webhook::Entity::update_many()
        .col_expr(webhook::Column::Paused, Expr::value(paused))
        .filter(webhook::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// Every endpoint, oldest first.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find().order_by_asc(webhook::Column::Id).all(db).await
}

/// Removes an endpoint and its deliveries; `false` if there was none.
pub async fn remove(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .exec(db)
        .await?;
    Ok(webhook::Entity::delete_by_id(id).exec(db).await?.rows_affected > 0)
}

/// The endpoints that want `event` (paused ones too: their deliveries wait). Read inside the
/// transaction that stores the fact, so an endpoint hears of everything stored after it was
/// made.
pub async fn subscribed(db: &impl ConnectionTrait, event: Event) -> Result<Vec<Hook>, DbErr> {
    let rows = webhook::Entity::find()
        .select_only()
        .columns([webhook::Column::Id, webhook::Column::Events, webhook::Column::PetitionId])
        .into_tuple::<(i64, String, Option<i64>)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, events, _)| events.split(',').any(|e| Event::parse(e) == Some(event)))
        .map(|(id, _, petition_id)| Hook { id, petition_id })
        .collect())
}

/// A delivery to write.
pub struct Outgoing {
    pub webhook_id: i64,
    pub event: Event,
    /// This delivery's idempotency key (also the body's `id`).
    pub key: String,
    /// The JSON body, made now.
    pub payload: String,
}

impl Outgoing {
    /// A delivery with a new key; `payload` makes the body from the key.
    pub fn new(webhook_id: i64, event: Event, payload: impl FnOnce(&str) -> String) -> Self {
        let key = new_key();
        let payload = payload(&key);
        Self { webhook_id, event, key, payload }
    }
}

/// A new validated signature to report: its id, its petition, and the petition's count once it
/// was stored.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct NewFact(pub i64, pub i64, pub i64);

/// Writes a `signature.created` delivery, due at once, for each of `facts` to every endpoint
/// that wants it (paused ones too), and returns how many it wrote. One statement of fixed text
/// and two parameters, however many signatures and endpoints there are: it finds the endpoints
/// itself (inside the caller's transaction, so an endpoint hears of everything stored after it
/// was made), the rows travel as one JSON array, and the database makes each row's random key.
/// The signature writer runs this in every batch, so with or without endpoints it costs one
/// round trip.
pub async fn enqueue_signatures(
    db: &impl ConnectionTrait,
    facts: &[NewFact],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    enqueue_about_signatures(db, Event::SignatureCreated, facts, now).await
}

/// [`enqueue_signatures`] for `event`, any event about one signature (`signature.created`,
/// `signature.confirmed`).
pub async fn enqueue_about_signatures(
    db: &impl ConnectionTrait,
    event: Event,
    facts: &[NewFact],
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if facts.is_empty() {
        return Ok(0);
    }
    let name = event.name();
    let backend = db.get_database_backend();
    let json = serde_json::to_string(facts).map_err(|e| DbErr::Custom(e.to_string()))?;
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "INSERT INTO webhook_deliveries (webhook_id, event, idempotency_key, signature_id, total, next_attempt_ms) \
             SELECT w.id, '{name}', replace(gen_random_uuid()::text, '-', ''), \
             (r->>0)::bigint, (r->>2)::bigint, $1 FROM jsonb_array_elements($2::jsonb) AS r \
             JOIN webhooks w ON (w.petition_id IS NULL OR w.petition_id = (r->>1)::bigint) \
             AND ',' || w.events || ',' LIKE '%,{name},%' \
             ORDER BY (r->>0)::bigint, w.id"
        ),
        _ => format!(
            "INSERT INTO webhook_deliveries (webhook_id, event, idempotency_key, signature_id, total, next_attempt_ms) \
             SELECT w.id, '{name}', lower(hex(randomblob(16))), \
             json_extract(r.value, '$[0]'), json_extract(r.value, '$[2]'), ? FROM json_each(?) AS r \
             JOIN webhooks w ON (w.petition_id IS NULL OR w.petition_id = json_extract(r.value, '$[1]')) \
             AND ',' || w.events || ',' LIKE '%,{name},%' \
             ORDER BY json_extract(r.value, '$[0]'), w.id"
        ),
    };
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [now.timestamp_millis().into(), json.into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// Writes deliveries whose body is made now (`share.clicked`), due at once.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    rows: Vec<Outgoing>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    use webhook_delivery::Column as C;
    let now_ms = now.timestamp_millis();
    let backend = db.get_database_backend();
    for part in in_parts(rows) {
        let mut insert = Query::insert();
        insert.into_table(webhook_delivery::Entity).columns([
            C::WebhookId,
            C::Event,
            C::IdempotencyKey,
            C::Payload,
            C::NextAttemptMs,
        ]);
        for Outgoing { webhook_id, event, key, payload } in part {
            insert
                .values([webhook_id.into(), event.name().into(), key.into(), payload.into(), now_ms.into()])
                .map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        db.execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const DEAD: &str = "dead";

/// A delivery a worker holds.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    pub key: String,
    pub payload: Option<String>,
    pub signature_id: Option<i64>,
    pub total: Option<i64>,
    /// Attempts before this one.
    pub attempts: i32,
    /// Held until then (Unix milliseconds); also tells this claim from a later one.
    pub lease: i64,
}

/// The endpoints that are not paused, by id.
pub async fn active(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::Paused.eq(false))
        .order_by_asc(webhook::Column::Id)
        .into_tuple()
        .all(db)
        .await
}

/// Takes up to `limit` due deliveries of endpoint `hook`, oldest first, holding them until
/// `lease` (Unix milliseconds). What is due is read on `read` (through the endpoint's own index
/// range), so that a worker with nothing to send never takes the write connection; the rows
/// are then taken on `write` by one statement that checks again that nobody holds them. Each
/// delivery so goes to one worker; a worker that dies lets its rows go when its lease ends.
pub async fn claim(
    read: &impl ConnectionTrait,
    write: &impl ConnectionTrait,
    hook: i64,
    limit: u64,
    now_ms: i64,
    lease: i64,
) -> Result<Vec<Claimed>, DbErr> {
    use webhook_delivery::Column as C;
    let free = || C::LockedUntilMs.is_null().or(C::LockedUntilMs.lt(now_ms));
    let due: Vec<i64> = webhook_delivery::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::WebhookId.eq(hook))
        .filter(C::Status.eq(PENDING))
        .filter(C::NextAttemptMs.lte(now_ms))
        .filter(free())
        .order_by_asc(C::NextAttemptMs)
        .order_by_asc(C::Id)
        .limit(limit)
        .into_tuple()
        .all(read)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let backend = write.get_database_backend();
    let mut q = webhook_delivery::Entity::update_many()
        .col_expr(C::LockedUntilMs, Expr::value(lease))
        .filter(C::Id.is_in(due))
        .filter(C::Status.eq(PENDING))
        // Still due: another worker may have tried it meanwhile and set it to wait.
        .filter(C::NextAttemptMs.lte(now_ms))
        .filter(free())
        .into_query();
    q.returning(Query::returning().columns([
        C::Id,
        C::WebhookId,
        C::Event,
        C::IdempotencyKey,
        C::Payload,
        C::SignatureId,
        C::Total,
        C::Attempts,
    ]));
    let mut claimed = write
        .query_all_raw(backend.build(&q))
        .await?
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                webhook_id: r.try_get("", "webhook_id")?,
                event: r.try_get("", "event")?,
                key: r.try_get("", "idempotency_key")?,
                payload: r.try_get("", "payload")?,
                signature_id: r.try_get("", "signature_id")?,
                total: r.try_get("", "total")?,
                attempts: r.try_get("", "attempts")?,
                lease,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// What became of one attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Delivered {
        status: i32,
    },
    /// Failed; try again at `retry_at_ms`, or never (dead) when `None`.
    Failed {
        status: Option<i32>,
        error: String,
        retry_at_ms: Option<i64>,
    },
}

/// Records what became of claimed deliveries, in one transaction: the delivered ones of each
/// claim together, each failure on its own. A row whose lease has passed to another worker is
/// left to that worker.
pub async fn finish(
    db: &(impl ConnectionTrait + TransactionTrait),
    done: &[(Claimed, Attempt)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if done.is_empty() {
        return Ok(());
    }
    use webhook_delivery::Column as C;
    let txn = db.begin().await?;
    let mut delivered: BTreeMap<(i64, i32), Vec<i64>> = BTreeMap::new();
    for (c, attempt) in done {
        match attempt {
            Attempt::Delivered { status } => delivered.entry((c.lease, *status)).or_default().push(c.id),
            Attempt::Failed { status, error, retry_at_ms } => {
                webhook_delivery::Entity::update_many()
                    .col_expr(C::Attempts, Expr::value(c.attempts + 1))
                    .col_expr(C::LockedUntilMs, Expr::value(Option::<i64>::None))
                    .col_expr(C::Status, Expr::value(if retry_at_ms.is_some() { PENDING } else { DEAD }))
                    .col_expr(C::LastStatus, Expr::value(*status))
                    .col_expr(C::LastError, Expr::value(truncate(error, 500)))
                    .col_expr(C::NextAttemptMs, Expr::value(retry_at_ms.unwrap_or(i64::MAX)))
                    .filter(C::Id.eq(c.id))
                    .filter(C::LockedUntilMs.eq(c.lease))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    for ((lease, status), ids) in delivered {
        for part in ids.chunks(PART_IDS) {
            webhook_delivery::Entity::update_many()
                .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
                .col_expr(C::LockedUntilMs, Expr::value(Option::<i64>::None))
                .col_expr(C::Status, Expr::value(DELIVERED))
                .col_expr(C::LastStatus, Expr::value(status))
                .col_expr(C::LastError, Expr::value(Option::<String>::None))
                .col_expr(C::DeliveredAt, Expr::value(now))
                .filter(C::Id.is_in(part.iter().copied()))
                .filter(C::LockedUntilMs.eq(lease))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await
}

/// Lets go of claimed deliveries that were not sent, `(id, lease)`: they are due again at once,
/// for any worker. A row whose lease has passed to another worker is left to that worker.
pub async fn release(db: &impl ConnectionTrait, held: &[(i64, i64)]) -> Result<(), DbErr> {
    use webhook_delivery::Column as C;
    let mut by_lease: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (id, lease) in held {
        by_lease.entry(*lease).or_default().push(*id);
    }
    for (lease, ids) in by_lease {
        for part in ids.chunks(PART_IDS) {
            webhook_delivery::Entity::update_many()
                .col_expr(C::LockedUntilMs, Expr::value(Option::<i64>::None))
                .filter(C::Id.is_in(part.iter().copied()))
                .filter(C::LockedUntilMs.eq(lease))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Most ids in one `IN (…)`.
const PART_IDS: usize = 512;

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_owned(),
        None => s.to_owned(),
    }
}

/// Validated signatures by id, each with its petition (those still stored and counted).
pub async fn signatures(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, (signature::Model, petition::Model)>, DbErr> {
    let mut found = HashMap::with_capacity(ids.len());
    for part in ids.chunks(PART_IDS) {
        let rows = signature::Entity::find()
            .filter(signature::Column::Id.is_in(part.iter().copied()))
            // An invalidated or flagged signature is reported as gone: nothing of the person.
            .filter(signature::Column::Status.eq(signature::Status::Validated))
            .find_also_related(petition::Entity)
            .all(db)
            .await?;
        for (s, p) in rows {
            if let Some(p) = p {
                found.insert(s.id, (s, p));
            }
        }
    }
    Ok(found)
}

/// The endpoints of claimed deliveries: id, URL and secret.
pub async fn endpoints(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<webhook::Model>, DbErr> {
    webhook::Entity::find().filter(webhook::Column::Id.is_in(ids.iter().copied())).all(db).await
}

/// Deliveries that failed: given up (`dead`) or still being retried, newest first.
pub async fn failures(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<webhook_delivery::Model>, DbErr> {
    webhook_delivery::Entity::find()
        .filter(
            webhook_delivery::Column::Status.eq(DEAD).or(webhook_delivery::Column::Status
                .eq(PENDING)
                .and(webhook_delivery::Column::Attempts.gt(0))),
        )
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Sends dead deliveries again: one (`Some(id)`) or every one. Returns how many.
pub async fn retry(db: &impl ConnectionTrait, id: Option<i64>, now_ms: i64) -> Result<u64, DbErr> {
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Status, Expr::value(PENDING))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(0))
        .col_expr(webhook_delivery::Column::NextAttemptMs, Expr::value(now_ms))
        .col_expr(webhook_delivery::Column::LockedUntilMs, Expr::value(Option::<i64>::None))
        .filter(webhook_delivery::Column::Status.eq(DEAD));
    if let Some(id) = id {
        update = update.filter(webhook_delivery::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Deliveries per status for one endpoint (or all): pending, delivered, dead.
pub async fn counts(db: &impl ConnectionTrait, webhook_id: Option<i64>) -> Result<[i64; 3], DbErr> {
    let mut q = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Status)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .group_by(webhook_delivery::Column::Status);
    if let Some(id) = webhook_id {
        q = q.filter(webhook_delivery::Column::WebhookId.eq(id));
    }
    let mut out = [0; 3];
    for (status, n) in q.into_tuple::<(String, i64)>().all(db).await? {
        let i = match status.as_str() {
            PENDING => 0,
            DELIVERED => 1,
            _ => 2,
        };
        out[i] += n;
    }
    Ok(out)
}
