//! A recount: each petition's tally (the count every page shows) and its aggregates (the
//! dashboard's counts by hour, source and region) against its validated signatures, row by row.
//! They move together in the transactions that change signatures, so they agree unless a
//! statement outside the server changed rows; a recount says by how much they drift, and
//! `--fix` sets the tally from the rows and makes the aggregates again, petition by petition,
//! with an audit entry.

use chrono::{DateTime, Utc};
use entity::{petition, petition_tally, signature_count};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IsolationLevel, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use super::{
    rollup, signatures,
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

/// Recounts every petition, or the one with `slug`. Each petition is read in one transaction
/// (a snapshot on PostgreSQL too), so a signature committed meanwhile is in all three figures
/// or in none.
pub async fn check(db: &DatabaseConnection, slug: Option<&str>) -> Result<Vec<Recount>, DbErr> {
    let mut q =
        petition::Entity::find().select_only().columns([petition::Column::Id, petition::Column::Slug]);
    if let Some(slug) = slug {
        q = q.filter(petition::Column::Slug.eq(slug));
    }
    let petitions: Vec<(i64, String)> = q.order_by_asc(petition::Column::Id).into_tuple().all(db).await?;
    let mut out = Vec::with_capacity(petitions.len());
    for (id, slug) in petitions {
        let isolation = (db.get_database_backend() == sea_orm::DatabaseBackend::Postgres)
            .then_some(IsolationLevel::RepeatableRead);
        let txn = db.begin_with_config(isolation, None).await?;
        let (tally, rows, aggregated) = figures(&txn, id).await?;
        txn.commit().await?;
        out.push(Recount { petition_id: id, slug, tally, rows, aggregated });
    }
    Ok(out)
}

/// Petition `id`'s tally, validated rows and aggregates' sum.
async fn figures(db: &impl ConnectionTrait, id: i64) -> Result<(i64, i64, i64), DbErr> {
    let tally = petition_tally::Entity::find_by_id(id).one(db).await?.map_or(0, |t| t.validated);
    let rows = signatures::recount(db, id).await?;
    let aggregated: Option<i64> = signature_count::Entity::find()
        .select_only()
        // PostgreSQL's sum of BIGINTs is a NUMERIC.
        .column_as(Expr::cust("CAST(SUM(signatures) AS BIGINT)"), "n")
        .filter(signature_count::Column::PetitionId.eq(id))
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok((tally, rows, aggregated.unwrap_or(0)))
}

/// Sets `r`'s tally from its rows and makes its aggregates again, recorded in the audit log;
/// returns the figures after. The petition's tally row is taken first, as every signing
/// transaction takes it, so no signature of the petition commits between the count and the
/// write: none is lost, on a running server too (its signers wait a moment).
pub async fn fix(db: &DatabaseConnection, r: &Recount, now: DateTime<Utc>) -> Result<Recount, DbErr> {
    let txn = db.begin().await?;
    let locked = signatures::add_to_tally(&txn, r.petition_id, 0, now).await?;
    let rows = signatures::recount(&txn, r.petition_id).await?;
    petition_tally::Entity::update_many()
        .col_expr(petition_tally::Column::Validated, Expr::value(rows))
        .col_expr(petition_tally::Column::Version, Expr::col(petition_tally::Column::Version).add(1))
        .col_expr(petition_tally::Column::UpdatedAt, Expr::value(now))
        .filter(petition_tally::Column::PetitionId.eq(r.petition_id))
        .exec(&txn)
        .await?;
    rollup::rebuild_petition(&txn, r.petition_id).await?;
    let (tally, rows, aggregated) = figures(&txn, r.petition_id).await?;
    staff::audit(
        &txn,
        Audit {
            staff_id: None,
            actor: "recount",
            action: "tally.recounted",
            subject: Some(r.petition_id.to_string()),
            detail: Some(format!(
                "{}: tally {} -> {tally}, aggregates {} -> {aggregated} (rows {rows})",
                r.slug, locked.validated, r.aggregated
            )),
            ip_hash: None,
        },
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Recount { petition_id: r.petition_id, slug: r.slug.clone(), tally, rows, aggregated })
}
