//! Webhook endpoints and their outbox. Facts and the deliveries that report them are written
//! in one transaction ([`subscribed`], [`enqueue`]); workers then [`claim`] due deliveries (one
//! worker per delivery, across server processes), send them and [`finish`] them.

use chrono::{DateTime, Utc};
use entity::{webhook, webhook_delivery};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    ExprTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionSession, TransactionTrait,
    sea_query::Expr,
};

use super::signatures::in_parts;
use crate::domain::webhook::{Event, Scope, new_key};

/// An active endpoint, as the writers need it.
#[derive(Clone, Debug)]
pub struct Hook {
    pub id: i64,
    pub scope: Scope,
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
        active: Set(true),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
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

/// The active endpoints that want `event`. Read inside the transaction that stores the fact,
/// so an endpoint hears of everything stored after it was made.
pub async fn subscribed(db: &impl ConnectionTrait, event: Event) -> Result<Vec<Hook>, DbErr> {
    let rows = webhook::Entity::find()
        .select_only()
        .columns([
            webhook::Column::Id,
            webhook::Column::Events,
            webhook::Column::Scope,
            webhook::Column::PetitionId,
        ])
        .filter(webhook::Column::Active.eq(true))
        .into_tuple::<(i64, String, String, Option<i64>)>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(_, events, _, _)| events.split(',').any(|e| Event::parse(e) == Some(event)))
        .map(|(id, _, scope, petition_id)| Hook {
            id,
            scope: Scope::parse(&scope).unwrap_or(Scope::Counts),
            petition_id,
        })
        .collect())
}

/// A delivery to write: its body is made when the fact is stored.
pub struct Outgoing {
    pub webhook_id: i64,
    pub event: Event,
    /// This delivery's idempotency key (also the body's `id`).
    pub key: String,
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

/// Writes deliveries, due at once.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    rows: Vec<Outgoing>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let now_ms = now.timestamp_millis();
    let models: Vec<webhook_delivery::ActiveModel> = rows
        .into_iter()
        .map(|o| webhook_delivery::ActiveModel {
            webhook_id: Set(o.webhook_id),
            event: Set(o.event.name().to_owned()),
            idempotency_key: Set(o.key),
            payload: Set(o.payload),
            status: Set(PENDING.to_owned()),
            attempts: Set(0),
            next_attempt_ms: Set(now_ms),
            locked_until_ms: Set(None),
            last_status: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            delivered_at: Set(None),
            ..Default::default()
        })
        .collect();
    for part in in_parts(models) {
        webhook_delivery::Entity::insert_many(part).exec_without_returning(db).await?;
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
    pub payload: String,
    /// Attempts before this one.
    pub attempts: i32,
    /// Held until then (Unix milliseconds); also tells this claim from a later one.
    pub lease: i64,
}

/// Takes up to `limit` due deliveries of active endpoints, oldest first, holding them until
/// `lease` (Unix milliseconds). Rows another worker holds are skipped, so each delivery goes to
/// one worker; a worker that dies lets its rows go when its lease ends.
pub async fn claim(
    db: &impl ConnectionTrait,
    limit: u64,
    now_ms: i64,
    lease: i64,
) -> Result<Vec<Claimed>, DbErr> {
    let backend = db.get_database_backend();
    let (skip_locked, p) = match backend {
        DatabaseBackend::Postgres => ("FOR UPDATE OF d SKIP LOCKED", ["$1", "$2", "$3"]),
        _ => ("", ["?", "?", "?"]),
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET locked_until_ms = {lease} WHERE id IN (\
           SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
           WHERE d.status = 'pending' AND d.next_attempt_ms <= {now} \
             AND (d.locked_until_ms IS NULL OR d.locked_until_ms < {now}) AND w.active = TRUE \
           ORDER BY d.next_attempt_ms, d.id LIMIT {limit} {skip_locked}) \
         RETURNING id, webhook_id, event, idempotency_key, payload, attempts",
        lease = p[0],
        now = p[1],
        limit = p[2],
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let stmt = match backend {
        DatabaseBackend::Postgres => {
            Statement::from_sql_and_values(backend, sql, [lease.into(), now_ms.into(), limit.into()])
        }
        // SQLite numbers its `?` in order of appearance: the lease, the time twice, the limit.
        _ => Statement::from_sql_and_values(
            backend,
            sql,
            [lease.into(), now_ms.into(), now_ms.into(), limit.into()],
        ),
    };
    let mut claimed = db
        .query_all_raw(stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(Claimed {
                id: r.try_get("", "id")?,
                webhook_id: r.try_get("", "webhook_id")?,
                event: r.try_get("", "event")?,
                key: r.try_get("", "idempotency_key")?,
                payload: r.try_get("", "payload")?,
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

/// Records what became of claimed deliveries, in one transaction. A row whose lease has passed
/// to another worker is left to that worker.
pub async fn finish(
    db: &(impl ConnectionTrait + TransactionTrait),
    done: &[(Claimed, Attempt)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if done.is_empty() {
        return Ok(());
    }
    let txn = db.begin().await?;
    for (c, attempt) in done {
        let mut update = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::Attempts, Expr::value(c.attempts + 1))
            .col_expr(webhook_delivery::Column::LockedUntilMs, Expr::value(Option::<i64>::None));
        update = match attempt {
            Attempt::Delivered { status } => update
                .col_expr(webhook_delivery::Column::Status, Expr::value(DELIVERED))
                .col_expr(webhook_delivery::Column::LastStatus, Expr::value(*status))
                .col_expr(webhook_delivery::Column::LastError, Expr::value(Option::<String>::None))
                .col_expr(webhook_delivery::Column::DeliveredAt, Expr::value(now)),
            Attempt::Failed { status, error, retry_at_ms } => update
                .col_expr(
                    webhook_delivery::Column::Status,
                    Expr::value(if retry_at_ms.is_some() { PENDING } else { DEAD }),
                )
                .col_expr(webhook_delivery::Column::LastStatus, Expr::value(*status))
                .col_expr(webhook_delivery::Column::LastError, Expr::value(truncate(error, 500)))
                .col_expr(
                    webhook_delivery::Column::NextAttemptMs,
                    Expr::value(retry_at_ms.unwrap_or(i64::MAX)),
                ),
        };
        update
            .filter(webhook_delivery::Column::Id.eq(c.id))
            .filter(webhook_delivery::Column::LockedUntilMs.eq(c.lease))
            .exec(&txn)
            .await?;
    }
    txn.commit().await
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => s[..at].to_owned(),
        None => s.to_owned(),
    }
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
