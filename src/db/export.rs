//! Reading a petition's signatures for export, fast and in flat memory.
//!
//! Signatures are read [`CHUNK_ROWS`] at a time by id range (keyset pagination). On SQLite each
//! chunk is packed into one JSON array by the database itself, so a million signatures cross
//! from the driver's thread to ours as a few hundred strings instead of twenty million cells,
//! each copied and handed over one row at a time; the rows then borrow from that string. On
//! PostgreSQL one `COPY … TO STDOUT (FORMAT binary)` streams every row (see [`copy_sql`]), and the
//! rows borrow from the bytes as they came off the wire.
//! Formatting the rows as CSV or JSON is the caller's job, so there is one set of rules for both.

use std::{borrow::Cow, sync::LazyLock};

use chrono::{DateTime, SecondsFormat, Utc};
use entity::signature;
use futures::StreamExt;
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement, TransactionTrait,
    Value,
};
use serde::{Deserialize, Deserializer, Serialize};
use tokio::sync::mpsc;

/// Signatures per chunk (per query on SQLite): big enough that the per-chunk cost vanishes,
/// small enough that a chunk is a few hundred kilobytes.
pub const CHUNK_ROWS: u64 = 2_000;

/// Which of a petition's signatures an export takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Option<signature::Status>,
    /// Signed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Signed before.
    pub until: Option<DateTime<Utc>>,
    pub source: Option<String>,
    pub landing_page: Option<String>,
    /// Only signers who agreed to receive updates.
    pub opted_in: bool,
}

impl Filter {
    /// Everything with this status (or every signature).
    pub fn status(status: Option<signature::Status>) -> Self {
        Self { status, ..Self::default() }
    }

    /// SQLite: the conditions after `petition_id = ?`, with their values in order.
    fn sqlite(&self) -> (String, Vec<Value>) {
        let mut sql = String::new();
        let mut values: Vec<Value> = Vec::new();
        if let Some(s) = self.status {
            sql.push_str(" AND status = ?");
            values.push(s.to_value().into());
        }
        if let Some(t) = self.from {
            sql.push_str(" AND signed_at >= ?");
            values.push(t.into());
        }
        if let Some(t) = self.until {
            sql.push_str(" AND signed_at < ?");
            values.push(t.into());
        }
        if let Some(v) = &self.source {
            sql.push_str(" AND source = ?");
            values.push(v.clone().into());
        }
        if let Some(v) = &self.landing_page {
            sql.push_str(" AND landing_page = ?");
            values.push(v.clone().into());
        }
        if self.opted_in {
            sql.push_str(" AND email_opt_in");
        }
        (sql, values)
    }

    /// PostgreSQL: the same conditions as literals (`COPY` takes no parameters): times we
    /// format, texts as escape strings (`E'…'`, read the same whatever the server's
    /// `standard_conforming_strings`) with every backslash and quote doubled.
    fn literal(&self) -> String {
        let text = |v: &str| format!("E'{}'", v.replace('\\', r"\\").replace('\'', "''"));
        let time =
            |t: DateTime<Utc>| format!("'{}'::timestamptz", t.to_rfc3339_opts(SecondsFormat::Micros, true));
        let mut sql = String::new();
        if let Some(s) = self.status {
            sql.push_str(&format!(" AND status = {}", text(&s.to_value())));
        }
        if let Some(t) = self.from {
            sql.push_str(&format!(" AND signed_at >= {}", time(t)));
        }
        if let Some(t) = self.until {
            sql.push_str(&format!(" AND signed_at < {}", time(t)));
        }
        if let Some(v) = &self.source {
            sql.push_str(&format!(" AND source = {}", text(v)));
        }
        if let Some(v) = &self.landing_page {
            sql.push_str(&format!(" AND landing_page = {}", text(v)));
        }
        if self.opted_in {
            sql.push_str(" AND email_opt_in");
        }
        sql
    }
}

/// One exported signature. Its fields, in order, are the public export columns: the CSV header
/// and the JSON keys are derived from them and from nothing else. `SHEET` rows are for
/// spreadsheets: a text cell that would run as a formula is neutralised (see [`Text`]).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ExportRow<'a, const SHEET: bool> {
    pub signature_id: i64,
    /// RFC 3339, UTC, to the second.
    #[serde(borrow)]
    pub signed_at: Cow<'a, str>,
    #[serde(borrow)]
    pub status: Cow<'a, str>,
    #[serde(borrow)]
    pub given_name: Text<'a, SHEET>,
    #[serde(borrow)]
    pub family_name: Text<'a, SHEET>,
    #[serde(borrow)]
    pub email: Text<'a, SHEET>,
    #[serde(borrow)]
    pub postal_code: Text<'a, SHEET>,
    #[serde(borrow)]
    pub phone: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub employer: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub comment: Option<Text<'a, SHEET>>,
    #[serde(deserialize_with = "int_bool")]
    pub email_opt_in: bool,
    #[serde(deserialize_with = "int_bool")]
    pub public_name: bool,
    #[serde(borrow)]
    pub source: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub referrer: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub landing_page: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub utm_source: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub utm_medium: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub utm_campaign: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub utm_content: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub utm_term: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub confirmed_at: Option<Cow<'a, str>>,
    /// Asked only where staff chose to (after the original columns, so their places stay).
    #[serde(borrow)]
    pub job_title: Option<Text<'a, SHEET>>,
    #[serde(borrow)]
    pub worksite: Option<Text<'a, SHEET>>,
}

/// A row for CSV files that spreadsheets open.
pub type SheetRow<'a> = ExportRow<'a, true>;
/// A row as stored, for JSON.
pub type PlainRow<'a> = ExportRow<'a, false>;

/// The export columns, in order: the field names of [`ExportRow`].
pub fn columns() -> &'static [String] {
    static COLUMNS: LazyLock<Vec<String>> = LazyLock::new(|| {
        // A header row is what the csv crate derives from a struct's fields.
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = w
            .serialize(PlainRow::default())
            .ok()
            .and_then(|()| w.into_inner().ok())
            .and_then(|bytes| csv::Reader::from_reader(bytes.as_slice()).headers().ok().cloned());
        header.map(|h| h.iter().map(str::to_owned).collect()).unwrap_or_default()
    });
    &COLUMNS
}

/// Text typed by a signer (or carried in from a link). In a `SHEET` row, a cell that starts like
/// a formula (`= + - @`, or a tab or carriage return that some programs skip before one) is
/// written with a `'` in front, so spreadsheets show it as text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Text<'a, const SHEET: bool>(pub Cow<'a, str>);

/// `cell`, made safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

impl<const SHEET: bool> Serialize for Text<'_, SHEET> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if SHEET { s.serialize_str(&neutralise(&self.0)) } else { s.serialize_str(&self.0) }
    }
}

impl<'de: 'a, 'a, const SHEET: bool> Deserialize<'de> for Text<'a, SHEET> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Borrowing;
        impl<'de> serde::de::Visitor<'de> for Borrowing {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("text")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        d.deserialize_str(Borrowing).map(Text)
    }
}

/// Booleans are packed as 0/1 on both databases (SQLite has no boolean type).
fn int_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(d)? != 0)
}

/// How a column is read from the database.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Time,
    Text,
    Flag,
}

/// The table column behind each export column, in [`ExportRow`] order (a test checks that they
/// agree). Both databases' export statements are built from this list.
const COLUMNS: [(&str, Kind); 23] = [
    ("id", Kind::Int),
    ("signed_at", Kind::Time),
    ("status", Kind::Text),
    ("given_name", Kind::Text),
    ("family_name", Kind::Text),
    ("email", Kind::Text),
    ("postal_code", Kind::Text),
    ("phone", Kind::Text),
    ("employer", Kind::Text),
    ("comment", Kind::Text),
    ("email_opt_in", Kind::Flag),
    ("public_name", Kind::Flag),
    ("source", Kind::Text),
    ("referrer", Kind::Text),
    ("landing_page", Kind::Text),
    ("utm_source", Kind::Text),
    ("utm_medium", Kind::Text),
    ("utm_campaign", Kind::Text),
    ("utm_content", Kind::Text),
    ("utm_term", Kind::Text),
    ("confirmed_at", Kind::Time),
    ("job_title", Kind::Text),
    ("worksite", Kind::Text),
];

/// SQLite: the SQL for one chunk, the signatures after one id up to another. The result is
/// one row `(last_id, rows)`, `rows` being a JSON array of arrays in [`ExportRow`] order built by
/// the aggregate straight over the table (no subquery, so no array is parsed twice), and
/// `last_id` NULL when none are left.
fn chunk_sql(conditions: &str) -> String {
    let cells: Vec<String> = COLUMNS
        .iter()
        .map(|(c, kind)| match kind {
            Kind::Time => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {c})"),
            Kind::Flag => format!("CASE WHEN {c} THEN 1 ELSE 0 END"),
            Kind::Int | Kind::Text => (*c).to_owned(),
        })
        .collect();
    let cells = cells.join(", ");
    format!(
        "SELECT MAX(id) AS last_id, json_group_array(json_array({cells})) AS rows FROM signatures \
         WHERE petition_id = ?{conditions} AND id > ? AND id <= ?"
    )
}

/// SQLite: the SQL for the upper end of the next chunk, the id [`CHUNK_ROWS`] signatures on (or
/// none, when fewer are left). An index-only scan when there are no conditions beyond the
/// status, so the chunk query can be a plain range.
fn bound_sql(conditions: &str) -> String {
    format!(
        "SELECT id FROM signatures WHERE petition_id = ?{conditions} AND id > ? ORDER BY id LIMIT 1 OFFSET ?"
    )
}

/// SQLite: walks a petition's signatures in id order, chunk by chunk (keyset pagination, so each
/// query is an index range scan however far along the export is).
struct Chunks {
    sql: String,
    bound_sql: String,
    petition_id: i64,
    /// The values of the filter's conditions.
    values: Vec<Value>,
    after: i64,
}

impl Chunks {
    fn new(petition_id: i64, filter: &Filter) -> Self {
        let (conditions, values) = filter.sqlite();
        Self { sql: chunk_sql(&conditions), bound_sql: bound_sql(&conditions), petition_id, values, after: 0 }
    }

    /// The next chunk, or `None` when done.
    async fn next(&mut self, db: &impl ConnectionTrait) -> Result<Option<Chunk>, DbErr> {
        let mut filter: Vec<Value> = vec![self.petition_id.into()];
        filter.extend(self.values.iter().cloned());
        filter.push(self.after.into());
        let offset = i64::try_from(CHUNK_ROWS - 1).unwrap_or(i64::MAX);
        let with = |extra: Value| {
            let mut values = filter.clone();
            values.push(extra);
            values
        };
        let bound =
            Statement::from_sql_and_values(DatabaseBackend::Sqlite, &self.bound_sql, with(offset.into()));
        let last = match db.query_one_raw(bound).await? {
            Some(row) => row.try_get::<i64>("", "id")?,
            None => i64::MAX,
        };
        let stmt = Statement::from_sql_and_values(DatabaseBackend::Sqlite, &self.sql, with(last.into()));
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
    /// PostgreSQL: whole tuples of the binary `COPY` format, decoded (borrowing from them) by
    /// [`Chunk::each`].
    Copy(Vec<u8>),
}

impl Chunk {
    /// Calls `f` for each row, in id order.
    pub fn each<const SHEET: bool, E: From<DbErr>>(
        &self,
        mut f: impl FnMut(&ExportRow<'_, SHEET>) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Chunk::Json(text) => parse::<SHEET>(text)?.iter().try_for_each(f),
            Chunk::Copy(bytes) => {
                let mut wire = Wire { bytes, at: 0 };
                while !wire.is_empty() {
                    f(&decode(&mut wire)?)?;
                }
                Ok(())
            }
        }
    }
}

/// PostgreSQL: the one statement that streams a petition's signatures, columns in [`ExportRow`]
/// order and cast to the types [`decode`] reads. A single statement sees a single snapshot, and
/// the primary key index hands the rows over in id order without a sort. `COPY` takes no
/// parameters; the petition id is a number and the filter's values are literals (see
/// [`Filter::literal`]).
fn copy_sql(petition_id: i64, filter: &Filter) -> String {
    let conditions = filter.literal();
    let cells: Vec<String> = COLUMNS
        .iter()
        .map(|(c, kind)| match kind {
            Kind::Int => format!("{c}::int8"),
            Kind::Time => format!("{c}::timestamptz"),
            Kind::Text => format!("{c}::text"),
            Kind::Flag => format!("{c}::bool"),
        })
        .collect();
    let cells = cells.join(", ");
    format!(
        "COPY (SELECT {cells} FROM signatures WHERE petition_id = {petition_id}{conditions} ORDER BY id) \
         TO STDOUT (FORMAT binary)"
    )
}

/// Columns in a binary `COPY` tuple of [`copy_sql`].
const COPY_COLUMNS: i16 = COLUMNS.len() as i16;
/// Binary `COPY` data starts with this signature, then 32-bit flags and the length of a header
/// extension.
const COPY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
/// PostgreSQL's binary timestamps count microseconds from 2000-01-01T00:00:00Z.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

fn wire_error(what: &str) -> DbErr {
    DbErr::Custom(format!("reading exported signatures: {what}"))
}

/// A reader over binary `COPY` bytes: big-endian numbers and length-prefixed fields.
struct Wire<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Wire<'a> {
    fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// One field: `None` when the bytes end first, `Some(None)` for NULL.
    fn field(&mut self) -> Option<Option<&'a [u8]>> {
        match self.i32()? {
            -1 => Some(None),
            n => Some(Some(self.take(usize::try_from(n).ok()?)?)),
        }
    }

    /// Skips one whole tuple, or the trailer; `None` when it is not all here yet. Errors on a
    /// tuple of the wrong shape.
    fn skip_tuple(&mut self) -> Result<Option<Tuple>, DbErr> {
        let Some(columns) = self.i16() else { return Ok(None) };
        match columns {
            -1 => return Ok(Some(Tuple::Trailer)),
            COPY_COLUMNS => {}
            n => return Err(wire_error(&format!("a row of {n} columns"))),
        }
        for _ in 0..COPY_COLUMNS {
            if self.field().is_none() {
                return Ok(None);
            }
        }
        Ok(Some(Tuple::Row))
    }
}

enum Tuple {
    Row,
    Trailer,
}

/// One binary `COPY` tuple of [`copy_sql`]; text cells borrow from the bytes. Struct fields are
/// evaluated in the order written, which is the column order.
fn decode<'a, const SHEET: bool>(wire: &mut Wire<'a>) -> Result<ExportRow<'a, SHEET>, DbErr> {
    if wire.i16().ok_or_else(|| wire_error("a row ends early"))? != COPY_COLUMNS {
        return Err(wire_error("a row of the wrong shape"));
    }
    Ok(ExportRow {
        signature_id: wire.int8()?,
        signed_at: wire.time()?.ok_or_else(|| wire_error("a signature without a time"))?,
        status: wire.text()?,
        given_name: Text(wire.text()?),
        family_name: Text(wire.text()?),
        email: Text(wire.text()?),
        postal_code: Text(wire.text()?),
        phone: wire.optional_text()?.map(Text),
        employer: wire.optional_text()?.map(Text),
        comment: wire.optional_text()?.map(Text),
        email_opt_in: wire.flag()?,
        public_name: wire.flag()?,
        source: wire.optional_text()?.map(Text),
        referrer: wire.optional_text()?.map(Text),
        landing_page: wire.optional_text()?.map(Text),
        utm_source: wire.optional_text()?.map(Text),
        utm_medium: wire.optional_text()?.map(Text),
        utm_campaign: wire.optional_text()?.map(Text),
        utm_content: wire.optional_text()?.map(Text),
        utm_term: wire.optional_text()?.map(Text),
        confirmed_at: wire.time()?,
        job_title: wire.optional_text()?.map(Text),
        worksite: wire.optional_text()?.map(Text),
    })
}

/// Typed cells of a tuple being decoded.
impl<'a> Wire<'a> {
    fn cell(&mut self) -> Result<Option<&'a [u8]>, DbErr> {
        self.field().ok_or_else(|| wire_error("a row ends early"))
    }

    fn required(&mut self) -> Result<&'a [u8], DbErr> {
        self.cell()?.ok_or_else(|| wire_error("an empty required cell"))
    }

    fn optional_text(&mut self) -> Result<Option<Cow<'a, str>>, DbErr> {
        match self.cell()? {
            Some(v) => std::str::from_utf8(v)
                .map(|v| Some(Cow::Borrowed(v)))
                .map_err(|_| wire_error("text that is not UTF-8")),
            None => Ok(None),
        }
    }

    fn text(&mut self) -> Result<Cow<'a, str>, DbErr> {
        self.optional_text()?.ok_or_else(|| wire_error("an empty required cell"))
    }

    fn int8(&mut self) -> Result<i64, DbErr> {
        int8(self.required()?)
    }

    fn flag(&mut self) -> Result<bool, DbErr> {
        match self.required()? {
            [b] => Ok(*b != 0),
            _ => Err(wire_error("a flag of the wrong size")),
        }
    }

    /// A timestamp as RFC 3339, UTC, to the second.
    fn time(&mut self) -> Result<Option<Cow<'a, str>>, DbErr> {
        let Some(v) = self.cell()? else { return Ok(None) };
        int8(v)?
            .checked_add(PG_EPOCH_MICROS)
            .and_then(DateTime::<Utc>::from_timestamp_micros)
            .map(|t| Some(Cow::Owned(t.to_rfc3339_opts(SecondsFormat::Secs, true))))
            .ok_or_else(|| wire_error("a time out of range"))
    }
}

fn int8(v: &[u8]) -> Result<i64, DbErr> {
    <[u8; 8]>::try_from(v).map(i64::from_be_bytes).map_err(|_| wire_error("a number of the wrong size"))
}

/// Collects the binary `COPY` stream, which arrives in messages that need not end on a row, into
/// chunks of whole rows.
#[derive(Default)]
struct CopyTuples {
    bytes: Vec<u8>,
    /// Where the next unread tuple starts; everything before it is whole rows.
    whole: usize,
    /// The header has been read (and dropped from `bytes`).
    header_read: bool,
    rows: u64,
    ended: bool,
}

impl CopyTuples {
    /// Appends data from the stream.
    fn push(&mut self, data: &[u8]) -> Result<(), DbErr> {
        if self.ended {
            return Err(wire_error("data after the end"));
        }
        self.bytes.extend_from_slice(data);
        if !self.header_read {
            let mut wire = Wire { bytes: &self.bytes, at: 0 };
            let Some(signature) = wire.take(COPY_SIGNATURE.len()) else { return Ok(()) };
            if signature != COPY_SIGNATURE {
                return Err(wire_error("not binary COPY data"));
            }
            let (Some(_flags), Some(extension)) = (wire.i32(), wire.i32()) else { return Ok(()) };
            let extension = usize::try_from(extension).map_err(|_| wire_error("a bad header"))?;
            if wire.take(extension).is_none() {
                return Ok(());
            }
            let header = wire.at;
            self.bytes.drain(..header);
            self.header_read = true;
        }
        let mut wire = Wire { bytes: &self.bytes, at: self.whole };
        while let Some(tuple) = wire.skip_tuple()? {
            match tuple {
                Tuple::Row => {
                    self.rows += 1;
                    self.whole = wire.at;
                }
                Tuple::Trailer => {
                    if !wire.is_empty() {
                        return Err(wire_error("data after the end"));
                    }
                    self.ended = true;
                    break;
                }
            }
        }
        if self.ended {
            // The trailer is not part of any row.
            self.bytes.truncate(self.whole);
        }
        Ok(())
    }

    /// Whole rows read so far.
    fn rows(&self) -> u64 {
        self.rows
    }

    /// Takes the whole rows read so far, keeping a row that is not all here yet.
    fn take(&mut self) -> Vec<u8> {
        let rest = self.bytes.split_off(self.whole);
        let rows = std::mem::replace(&mut self.bytes, rest);
        self.whole = 0;
        self.rows = 0;
        rows
    }

    /// Checks that the stream ended where it should have: with the trailer, after a whole row.
    fn finish(&self) -> Result<(), DbErr> {
        if self.ended { Ok(()) } else { Err(wire_error("the data ends inside a row")) }
    }
}

/// Why a decoder of our own rather than the driver's rows: on the benchmark machine, a million
/// signatures took 1.75 s of wall time and 1.65 s of CPU through sqlx's row stream (decoding
/// each row borrowed from its buffers), and take 1.32 s and 0.85 s through this `COPY`: 757k
/// rows/s instead of 571k, against a target of 500k that the row path met with little margin.
/// That is worth its 200 lines, which are covered by the stream-cutting tests below.
///
/// PostgreSQL: streams the petition's signatures with one `COPY`, sending whole rows
/// [`CHUNK_ROWS`] at a time. A `COPY` abandoned half way (the consumer went away, or an error)
/// leaves its connection mid-stream, so then the connection is closed instead of going back to
/// the pool.
async fn copy_out(
    db: &DatabaseConnection,
    petition_id: i64,
    filter: &Filter,
    tx: &mpsc::Sender<Result<Chunk, DbErr>>,
) -> Result<(), DbErr> {
    let err = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("exporting signatures: {e}"));
    let sql = copy_sql(petition_id, filter);
    let mut conn = db.get_postgres_connection_pool().acquire().await.map_err(err)?;
    let mut finished = false;
    let result = async {
        let mut stream = conn.copy_out_raw(&sql).await.map_err(err)?;
        let mut tuples = CopyTuples::default();
        while let Some(data) = stream.next().await {
            tuples.push(&data.map_err(err)?)?;
            if tuples.rows() >= CHUNK_ROWS && tx.send(Ok(Chunk::Copy(tuples.take()))).await.is_err() {
                // The consumer has stopped.
                return Ok(());
            }
        }
        finished = true;
        tuples.finish()?;
        if tuples.rows() > 0 {
            // A closed channel means the consumer has stopped; there is nothing left to do.
            let _ = tx.send(Ok(Chunk::Copy(tuples.take()))).await;
        }
        Ok(())
    }
    .await;
    if !finished {
        conn.close_on_drop();
    }
    result
}

/// Reads the chunks on a task of their own, a couple ahead of the consumer, so that reading
/// and writing an export overlap. All chunks come from one snapshot of the database (one
/// `COPY` statement on PostgreSQL, a read transaction on SQLite): an export is the petition as
/// of the moment it started, and a signature committed during the export with a lower id than
/// rows already read cannot be skipped.
pub fn prefetch(
    db: DatabaseConnection,
    petition_id: i64,
    filter: Filter,
) -> mpsc::Receiver<Result<Chunk, DbErr>> {
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        if db.get_database_backend() == DatabaseBackend::Postgres {
            if let Err(e) = copy_out(&db, petition_id, &filter, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
            return;
        }
        let txn = match db.begin().await {
            Ok(txn) => txn,
            Err(e) => {
                let _ = tx.send(Err(e)).await;
                return;
            }
        };
        let mut chunks = Chunks::new(petition_id, &filter);
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
fn parse<const SHEET: bool>(chunk: &str) -> Result<Vec<ExportRow<'_, SHEET>>, DbErr> {
    let mut rows: Vec<ExportRow<'_, SHEET>> =
        serde_json::from_str(chunk).map_err(|e| DbErr::Custom(format!("reading an export chunk: {e}")))?;
    // Aggregates promise no order; this is free when the rows already are in order.
    rows.sort_by_key(|r| r.signature_id);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A binary `COPY` stream of rows shaped like [`copy_sql`]'s: id, time, five texts, three
    /// optional texts, two flags, eight optional texts, optional time.
    fn copy_stream(rows: &[(i64, Option<&str>)]) -> Vec<u8> {
        let mut out = COPY_SIGNATURE.to_vec();
        out.extend(0i32.to_be_bytes());
        out.extend(4i32.to_be_bytes());
        out.extend(b"ext!");
        let field = |out: &mut Vec<u8>, v: Option<&[u8]>| match v {
            Some(v) => {
                out.extend(i32::try_from(v.len()).unwrap_or(i32::MAX).to_be_bytes());
                out.extend(v);
            }
            None => out.extend((-1i32).to_be_bytes()),
        };
        for &(id, comment) in rows {
            out.extend(COPY_COLUMNS.to_be_bytes());
            field(&mut out, Some(&id.to_be_bytes()));
            // 2026-01-01T00:00:00.5Z: the fraction is dropped.
            field(&mut out, Some(&(820_540_800_500_000i64).to_be_bytes()));
            for t in ["validated", "Ana", "Pérez", "ana@example.org", "94110"] {
                field(&mut out, Some(t.as_bytes()));
            }
            field(&mut out, None);
            field(&mut out, Some(b""));
            field(&mut out, comment.map(str::as_bytes));
            field(&mut out, Some(&[1]));
            field(&mut out, Some(&[0]));
            for _ in 0..8 {
                field(&mut out, Some(b"ad"));
            }
            field(&mut out, None);
            field(&mut out, Some(b"RN"));
            field(&mut out, None);
        }
        out.extend((-1i16).to_be_bytes());
        out
    }

    fn rows_of(chunks: &[Vec<u8>]) -> Vec<(i64, Option<String>)> {
        let mut rows = Vec::new();
        for chunk in chunks {
            Chunk::Copy(chunk.clone())
                .each(|r: &PlainRow<'_>| -> Result<(), DbErr> {
                    assert_eq!(r.signed_at, "2026-01-01T00:00:00Z");
                    assert_eq!((r.status.as_ref(), r.family_name.0.as_ref()), ("validated", "Pérez"));
                    let text = |t: &Option<Text<'_, false>>| t.as_ref().map(|t| t.0.to_string());
                    assert_eq!((text(&r.phone), text(&r.employer)), (None, Some(String::new())));
                    assert_eq!((r.email_opt_in, r.public_name), (true, false));
                    assert_eq!((text(&r.utm_term), r.confirmed_at.as_deref()), (Some("ad".into()), None));
                    assert_eq!((text(&r.job_title), text(&r.worksite)), (Some("RN".into()), None));
                    rows.push((r.signature_id, text(&r.comment)));
                    Ok(())
                })
                .expect("rows decode");
        }
        rows
    }

    #[test]
    fn copy_rows_come_out_whole_however_the_stream_is_cut() {
        let rows = [(1, Some("a\tb\n\"c\"")), (2, None), (70_000, Some(""))];
        let stream = copy_stream(&rows);
        let want: Vec<(i64, Option<String>)> = rows.iter().map(|(i, c)| (*i, c.map(str::to_owned))).collect();
        for piece in [1, 2, 3, 7, 64, stream.len()] {
            let mut tuples = CopyTuples::default();
            let mut chunks = Vec::new();
            for data in stream.chunks(piece) {
                tuples.push(data).expect("valid data");
                if tuples.rows() >= 2 {
                    chunks.push(tuples.take());
                }
            }
            tuples.finish().expect("the stream ended on a row");
            chunks.push(tuples.take());
            assert_eq!(rows_of(&chunks), want, "cut every {piece} bytes");
        }
    }

    #[test]
    fn a_broken_copy_stream_is_an_error() {
        let stream = copy_stream(&[(1, None), (2, None)]);
        let mut cut = CopyTuples::default();
        cut.push(&stream[..stream.len() - 9]).expect("a prefix is fine");
        assert!(cut.finish().is_err(), "a stream that ends inside a row");

        let mut extra = CopyTuples::default();
        let mut longer = stream.clone();
        longer.extend([0, 0]);
        assert!(extra.push(&longer).is_err(), "bytes after the trailer");

        assert!(CopyTuples::default().push(b"PGCOPY\nXXXXXXXXXXXX").is_err(), "not binary COPY");

        let mut shape = copy_stream(&[(1, None)]);
        shape[23] = 0; // the first row's column count (after a 23-byte header): 21 -> 5
        shape[24] = 5;
        assert!(CopyTuples::default().push(&shape).is_err(), "a row of the wrong shape");
    }

    #[test]
    fn the_columns_are_the_row_fields_and_the_table_agrees() {
        let header = columns();
        assert_eq!(header.len(), COLUMNS.len());
        assert_eq!(header[0], "signature_id");
        for (name, (column, _)) in header.iter().skip(1).zip(COLUMNS.iter().skip(1)) {
            assert_eq!(name, column, "export column and table column");
        }
        assert_eq!(header.last().map(String::as_str), Some("worksite"));
    }

    #[test]
    fn only_spreadsheet_rows_are_neutralised() {
        let row = |cell: &'static str| ExportRow::<'static, true> {
            given_name: Text(cell.into()),
            ..Default::default()
        };
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for cell in ["=SUM(A1)", "+1 555", "-x", "@cmd", "\tTab", "Ana", ""] {
            w.serialize(row(cell)).expect("a row");
        }
        let out = String::from_utf8(w.into_inner().expect("bytes")).expect("UTF-8");
        let names: Vec<&str> = out.lines().map(|l| l.split(',').nth(3).unwrap_or_default()).collect();
        assert_eq!(names, ["'=SUM(A1)", "'+1 555", "'-x", "'@cmd", "'\tTab", "Ana", ""]);
        let plain = ExportRow::<'static, false> { given_name: Text("=SUM(A1)".into()), ..Default::default() };
        let json = serde_json::to_string(&plain).expect("JSON");
        assert!(json.contains(r#""given_name":"=SUM(A1)""#), "{json}");
    }
}
