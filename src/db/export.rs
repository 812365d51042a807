//! Reading a petition's signatures for export, fast and in flat memory.
//!
//! Signatures are read [`CHUNK_ROWS`] at a time by id range (keyset pagination). On SQLite each
//! chunk is packed into one JSON array by the database itself, so a million signatures cross
//! from the driver's thread to ours as a few hundred strings instead of twenty million cells,
//! each copied and handed over one row at a time; the rows then borrow from that string. On
//! PostgreSQL plain rows are cheaper (see [`chunk_sql`]); they too are read without copying.
//! Formatting the rows as CSV or JSON is the caller's job, so there is one set of rules for both.

use std::borrow::Cow;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::signature;
use sea_orm::sqlx::Row as _;
use sea_orm::{
    AccessMode, ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, IsolationLevel,
    QueryResult, Statement, TransactionTrait, Value,
};
use serde::{Deserialize, Deserializer, Serialize};
use tokio::sync::mpsc;

/// Signatures per query: big enough that the per-query cost vanishes, small enough that a
/// chunk is a few hundred kilobytes.
pub const CHUNK_ROWS: u64 = 2_000;

/// One exported signature; field order and names are the public export columns.
#[derive(Debug, Deserialize, Serialize)]
pub struct ExportRow<'a> {
    pub signature_id: i64,
    /// RFC 3339, UTC, to the second.
    #[serde(borrow)]
    pub signed_at: Cow<'a, str>,
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    #[serde(borrow)]
    pub given_name: Cow<'a, str>,
    #[serde(borrow)]
    pub family_name: Cow<'a, str>,
    #[serde(borrow)]
    pub email: Cow<'a, str>,
    #[serde(borrow)]
    pub postal_code: Cow<'a, str>,
    #[serde(borrow)]
    pub phone: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub employer: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub comment: Option<Cow<'a, str>>,
    #[serde(deserialize_with = "int_bool")]
    pub email_opt_in: bool,
    #[serde(deserialize_with = "int_bool")]
    pub public_name: bool,
    #[serde(borrow)]
    pub source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub referrer: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub landing_page: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub utm_source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub utm_medium: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub utm_campaign: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub utm_content: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub utm_term: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub confirmed_at: Option<Cow<'a, str>>,
}

/// Booleans are packed as 0/1 on both databases (SQLite has no boolean type).
fn int_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

/// The SQL for one chunk: the signatures after one id up to another. On SQLite the result is
/// one row `(last_id, rows)`, `rows` being a JSON array of arrays in [`ExportRow`] order built by
/// the aggregate straight over the table (no subquery, so no array is parsed twice), and
/// `last_id` NULL when none are left. PostgreSQL builds JSON several times slower than it sends
/// plain rows, and its rows reach us without a hand-off between threads, so there the result is
/// the plain columns in [`ExportRow`] order.
fn chunk_sql(backend: DatabaseBackend, with_status: bool) -> String {
    let pg = backend == DatabaseBackend::Postgres;
    let mut sql = Sql::new(pg);
    let filter = sql.filter(with_status);
    let last = sql.param();
    if pg {
        return format!(
            "SELECT id, signed_at, status, given_name, family_name, email, postal_code, phone, employer, \
             comment, email_opt_in, public_name, source, referrer, landing_page, utm_source, utm_medium, \
             utm_campaign, utm_content, utm_term, confirmed_at FROM signatures \
             WHERE {filter} AND id <= {last} ORDER BY id"
        );
    }
    let time = |c: &str| format!("strftime('%Y-%m-%dT%H:%M:%SZ', {c})");
    let int = |c: &str| format!("CASE WHEN {c} THEN 1 ELSE 0 END");
    let cells = [
        "id".to_owned(),
        time("signed_at"),
        "status".into(),
        "given_name".into(),
        "family_name".into(),
        "email".into(),
        "postal_code".into(),
        "phone".into(),
        "employer".into(),
        "comment".into(),
        int("email_opt_in"),
        int("public_name"),
        "source".into(),
        "referrer".into(),
        "landing_page".into(),
        "utm_source".into(),
        "utm_medium".into(),
        "utm_campaign".into(),
        "utm_content".into(),
        "utm_term".into(),
        time("confirmed_at"),
    ]
    .join(", ");
    format!(
        "SELECT MAX(id) AS last_id, json_group_array(json_array({cells})) AS rows FROM signatures \
         WHERE {filter} AND id <= {last}"
    )
}

/// The SQL for the upper end of the next chunk: the id [`CHUNK_ROWS`] signatures on (or none,
/// when fewer are left). An index-only scan, so the chunk query can be a plain range.
fn bound_sql(backend: DatabaseBackend, with_status: bool) -> String {
    let mut sql = Sql::new(backend == DatabaseBackend::Postgres);
    let filter = sql.filter(with_status);
    let offset = sql.param();
    format!("SELECT id FROM signatures WHERE {filter} ORDER BY id LIMIT 1 OFFSET {offset}")
}

/// Numbered parameters in either dialect.
struct Sql {
    pg: bool,
    n: usize,
}

impl Sql {
    fn new(pg: bool) -> Self {
        Self { pg, n: 0 }
    }

    fn param(&mut self) -> String {
        self.n += 1;
        if self.pg { format!("${}", self.n) } else { "?".to_owned() }
    }

    /// Parameters: petition id, [status,] the last id already exported.
    fn filter(&mut self, with_status: bool) -> String {
        let petition = self.param();
        let status = if with_status { format!(" AND status = {}", self.param()) } else { String::new() };
        let after = self.param();
        format!("petition_id = {petition}{status} AND id > {after}")
    }
}

/// Walks a petition's signatures in id order, chunk by chunk (keyset pagination, so each
/// query is an index range scan however far along the export is).
pub struct Chunks {
    backend: DatabaseBackend,
    sql: String,
    bound_sql: String,
    petition_id: i64,
    status: Option<signature::Status>,
    after: i64,
}

impl Chunks {
    pub fn new(backend: DatabaseBackend, petition_id: i64, status: Option<signature::Status>) -> Self {
        Self {
            backend,
            sql: chunk_sql(backend, status.is_some()),
            bound_sql: bound_sql(backend, status.is_some()),
            petition_id,
            status,
            after: 0,
        }
    }

    /// The next chunk, or `None` when done.
    pub async fn next(&mut self, db: &impl ConnectionTrait) -> Result<Option<Chunk>, DbErr> {
        let mut filter: Vec<Value> = vec![self.petition_id.into()];
        filter.extend(self.status.map(|s| Value::from(s.to_value())));
        filter.push(self.after.into());
        let offset = i64::try_from(CHUNK_ROWS - 1).unwrap_or(i64::MAX);
        let with = |extra: Value| {
            let mut values = filter.clone();
            values.push(extra);
            values
        };
        let bound = Statement::from_sql_and_values(self.backend, &self.bound_sql, with(offset.into()));
        let last = match db.query_one_raw(bound).await? {
            Some(row) => row.try_get::<i64>("", "id")?,
            None => i64::MAX,
        };
        let stmt = Statement::from_sql_and_values(self.backend, &self.sql, with(last.into()));
        if self.backend == DatabaseBackend::Postgres {
            let rows = db.query_all_raw(stmt).await?;
            let Some(last) = rows.last() else { return Ok(None) };
            self.after = last.try_get_by_index(0)?;
            return Ok(Some(Chunk::Rows(rows)));
        }
        let Some(row) = db.query_one_raw(stmt).await? else { return Ok(None) };
        let Some(last) = row.try_get::<Option<i64>>("", "last_id")? else { return Ok(None) };
        self.after = last;
        Ok(Some(Chunk::Json(row.try_get::<String>("", "rows")?)))
    }
}

/// Up to [`CHUNK_ROWS`] signatures, as the database sent them.
pub enum Chunk {
    /// SQLite: a JSON array of rows, parsed (borrowing from it) by [`Chunk::each`].
    Json(String),
    /// PostgreSQL: plain rows, decoded (borrowing from them) by [`Chunk::each`].
    Rows(Vec<QueryResult>),
}

impl Chunk {
    /// Calls `f` for each row, in id order.
    pub fn each<E: From<DbErr>>(&self, mut f: impl FnMut(&ExportRow<'_>) -> Result<(), E>) -> Result<(), E> {
        match self {
            Chunk::Json(text) => parse(text)?.iter().try_for_each(f),
            Chunk::Rows(rows) => rows.iter().try_for_each(|row| f(&decode(row)?)),
        }
    }
}

/// One PostgreSQL row, columns in [`ExportRow`] order; text cells borrow from the row.
fn decode(row: &QueryResult) -> Result<ExportRow<'_>, DbErr> {
    let Some(row) = row.try_as_pg_row() else {
        return Err(DbErr::Custom("an export row did not come from PostgreSQL".into()));
    };
    let err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("reading an export row: {e}"));
    let text = |i: usize| row.try_get::<&str, _>(i).map(Cow::Borrowed).map_err(err);
    let opt = |i: usize| row.try_get::<Option<&str>, _>(i).map(|v| v.map(Cow::Borrowed)).map_err(err);
    let time = |t: DateTime<Utc>| Cow::Owned(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    Ok(ExportRow {
        signature_id: row.try_get(0).map_err(err)?,
        signed_at: time(row.try_get(1).map_err(err)?),
        status: text(2)?,
        given_name: text(3)?,
        family_name: text(4)?,
        email: text(5)?,
        postal_code: text(6)?,
        phone: opt(7)?,
        employer: opt(8)?,
        comment: opt(9)?,
        email_opt_in: row.try_get(10).map_err(err)?,
        public_name: row.try_get(11).map_err(err)?,
        source: opt(12)?,
        referrer: opt(13)?,
        landing_page: opt(14)?,
        utm_source: opt(15)?,
        utm_medium: opt(16)?,
        utm_campaign: opt(17)?,
        utm_content: opt(18)?,
        utm_term: opt(19)?,
        confirmed_at: row.try_get::<Option<DateTime<Utc>>, _>(20).map_err(err)?.map(time),
    })
}

/// Reads the chunks on a task of their own, a couple ahead of the consumer, so that reading
/// and writing an export overlap. All chunks come from one snapshot of the database (a
/// read-only repeatable-read transaction on PostgreSQL, a read transaction on SQLite): an
/// export is the petition as of the moment it started, and a signature committed during the
/// export with a lower id than rows already read cannot be skipped.
pub fn prefetch(
    db: DatabaseConnection,
    petition_id: i64,
    status: Option<signature::Status>,
) -> mpsc::Receiver<Result<Chunk, DbErr>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let backend = db.get_database_backend();
        let snapshot = match backend {
            DatabaseBackend::Postgres => {
                db.begin_with_config(Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)).await
            }
            _ => db.begin().await,
        };
        let txn = match snapshot {
            Ok(txn) => txn,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let mut chunks = Chunks::new(backend, petition_id, status);
        loop {
            let next = chunks.next(&txn).await.transpose();
            let done = !matches!(next, Some(Ok(_)));
            // A closed channel means the consumer has stopped: stop too.
            if let Some(next) = next
                && tx.send(next).await.is_err()
            {
                break;
            }
            if done {
                break;
            }
        }
        // Nothing was written; ending the read transaction cannot lose anything.
        let _ = txn.rollback().await;
    });
    rx
}

/// The rows of one JSON chunk, in id order.
fn parse(chunk: &str) -> Result<Vec<ExportRow<'_>>, DbErr> {
    let mut rows: Vec<ExportRow<'_>> =
        serde_json::from_str(chunk).map_err(|e| DbErr::Custom(format!("reading an export chunk: {e}")))?;
    // Aggregates promise no order; this is free when the rows already are in order.
    rows.sort_by_key(|r| r.signature_id);
    Ok(rows)
}
