//! Reading a petition's signatures for export, fast and in flat memory.
//!
//! Each query packs up to [`CHUNK_ROWS`] signatures into one JSON array built by the database
//! itself, so a million signatures cross from the database as a few hundred strings instead
//! of twenty million cells (on SQLite every cell would otherwise be copied and handed from the
//! driver's thread to ours one row at a time). The rows borrow from that string; formatting
//! them as CSV or JSON is the caller's job, so there is one set of rules for both.

use std::borrow::Cow;

use entity::signature;
use sea_orm::{ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, Value};
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

/// The SQL for one chunk: `(last_id, rows)` for the signatures after one id up to another,
/// where `rows` is a JSON array of arrays in [`ExportRow`] order; `last_id` is NULL when none
/// are left. The aggregate runs straight over the table (no subquery), so the database builds
/// each row's array once and never re-parses it.
fn chunk_sql(backend: DatabaseBackend, with_status: bool) -> String {
    let pg = backend == DatabaseBackend::Postgres;
    let time = |c: &str| {
        if pg {
            format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
        } else {
            format!("strftime('%Y-%m-%dT%H:%M:%SZ', {c})")
        }
    };
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
    let rows = if pg {
        format!("json_agg(json_build_array({cells}))::text")
    } else {
        format!("json_group_array(json_array({cells}))")
    };
    let mut sql = Sql::new(pg);
    let filter = sql.filter(with_status);
    let last = sql.param();
    format!("SELECT MAX(id) AS last_id, {rows} AS rows FROM signatures WHERE {filter} AND id <= {last}")
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

    /// The next chunk as JSON text (parse it with [`parse`]), or `None` when done.
    pub async fn next(&mut self, db: &impl ConnectionTrait) -> Result<Option<String>, DbErr> {
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
        let Some(row) = db.query_one_raw(stmt).await? else { return Ok(None) };
        let Some(last) = row.try_get::<Option<i64>>("", "last_id")? else { return Ok(None) };
        self.after = last;
        Ok(Some(row.try_get::<String>("", "rows")?))
    }
}

/// Reads the chunks on a task of their own, a couple ahead of the consumer, so that reading
/// and writing an export overlap.
pub fn prefetch(
    db: DatabaseConnection,
    petition_id: i64,
    status: Option<signature::Status>,
) -> mpsc::Receiver<Result<String, DbErr>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut chunks = Chunks::new(db.get_database_backend(), petition_id, status);
        loop {
            let next = chunks.next(&db).await.transpose();
            let done = !matches!(next, Some(Ok(_)));
            // A closed channel means the consumer has stopped: stop too.
            if let Some(next) = next
                && tx.send(next).await.is_err()
            {
                return;
            }
            if done {
                return;
            }
        }
    });
    rx
}

/// The rows of one chunk, in id order.
pub fn parse(chunk: &str) -> Result<Vec<ExportRow<'_>>, DbErr> {
    let mut rows: Vec<ExportRow<'_>> =
        serde_json::from_str(chunk).map_err(|e| DbErr::Custom(format!("reading an export chunk: {e}")))?;
    // Aggregates promise no order; this is free when the rows already are in order.
    rows.sort_by_key(|r| r.signature_id);
    Ok(rows)
}
