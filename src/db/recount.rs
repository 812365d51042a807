//! A recount: each petition's tally (the count every page shows) and its aggregates (the
//! dashboard's counts by hour, source and region) against its validated signatures, row by row.
//! They move together in the transactions that change signatures, so they agree unless a
//! statement outside the server changed rows; a recount says by how much they drift, and
//! `--fix` sets the tally from the rows (and makes the aggregates again) with an audit entry.

use chrono::{DateTime, Utc};
use entity::{petition, petition_tally, signature_count};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
};

use super::{
    signatures,
    staff::{self, Audit},
};

/// One petition's counts, as stored and as recounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recount {
    pub petition_id: i64,
    pub slug: String,
    /// The stored tally of validated signatures.
    pub tally: i64,
    /// Validated signatures, counted row by row.
    pub rows: i64,
    /// The sum of its aggregates.
    pub aggregated: i64,
}

impl Recount {
    /// Whether anything disagrees with the rows.
    pub fn drifts(&self) -> bool {
        self.tally != self.rows || self.aggregated != self.rows
    }
}

/// Recounts every petition, or the one with `slug`.
pub async fn check(db: &impl ConnectionTrait, slug: Option<&str>) -> Result<Vec<Recount>, DbErr> {
    let mut q =
        petition::Entity::find().select_only().columns([petition::Column::Id, petition::Column::Slug]);
    if let Some(slug) = slug {
        q = q.filter(petition::Column::Slug.eq(slug));
    }
    let petitions: Vec<(i64, String)> = q.order_by_asc(petition::Column::Id).into_tuple().all(db).await?;
    let mut out = Vec::with_capacity(petitions.len());
    for (id, slug) in petitions {
        let tally = petition_tally::Entity::find_by_id(id).one(db).await?.map_or(0, |t| t.validated);
        let rows = signatures::recount(db, id).await?;
        let aggregated: Option<i64> = signature_count::Entity::find()
            .select_only()
            // PostgreSQL's sum of BIGINTs is a NUMERIC.
            .column_as(sea_orm::sea_query::Expr::cust("CAST(SUM(signatures) AS BIGINT)"), "n")
            .filter(signature_count::Column::PetitionId.eq(id))
            .into_tuple::<Option<i64>>()
            .one(db)
            .await?
            .flatten();
        out.push(Recount { petition_id: id, slug, tally, rows, aggregated: aggregated.unwrap_or(0) });
    }
    Ok(out)
}

/// Sets `r`'s tally from its rows, in one statement (a signature committed meanwhile is counted
/// either way), and records it in the audit log; returns the tally now.
pub async fn fix_tally(db: &DatabaseConnection, r: &Recount, now: DateTime<Utc>) -> Result<i64, DbErr> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    // PostgreSQL numbers its parameters (the petition is `$1` twice); SQLite takes them in order.
    let (p, n) = match backend {
        sea_orm::DatabaseBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    let sql = format!(
        "INSERT INTO petition_tallies (petition_id, validated, version, updated_at) \
         VALUES ({p}, (SELECT COUNT(*) FROM signatures WHERE petition_id = {p} AND status = 'validated'), 1, {n}) \
         ON CONFLICT (petition_id) DO UPDATE SET validated = excluded.validated, \
         version = petition_tallies.version + 1, updated_at = excluded.updated_at"
    );
    let values: Vec<sea_orm::Value> = if backend == sea_orm::DatabaseBackend::Postgres {
        vec![r.petition_id.into(), now.into()]
    } else {
        vec![r.petition_id.into(), r.petition_id.into(), now.into()]
    };
    txn.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    let after = petition_tally::Entity::find_by_id(r.petition_id).one(&txn).await?.map_or(0, |t| t.validated);
    staff::audit(
        &txn,
        Audit {
            staff_id: None,
            actor: "recount",
            action: "tally.recounted",
            subject: Some(r.petition_id.to_string()),
            detail: Some(format!("{}: tally {} -> {after} (rows {})", r.slug, r.tally, r.rows)),
            ip_hash: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}
