//! `undersigned export`: a petition's signatures as CSV or JSON on standard output, streamed
//! chunk by chunk (see `db::export`) so memory stays flat however many there are.

use std::io::Write;

use anyhow::bail;
use entity::signature;
use sea_orm::DatabaseConnection;

use super::ExportFormat;
use crate::{
    db::{
        export::{Filter, prefetch},
        petitions,
    },
    export::{self, Format},
};

/// Writes the export of petition `slug` to `out`.
pub async fn run<W: Write>(
    db: &DatabaseConnection,
    slug: &str,
    format: ExportFormat,
    status: Option<signature::Status>,
    out: W,
) -> anyhow::Result<()> {
    let Some(rec) = petitions::find_by_slug(db, slug).await? else {
        bail!("no petition with slug {slug:?}");
    };
    let format = match format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Json => Format::Json,
    };
    // The next chunk is read while this one is written.
    export::write(prefetch(db.clone(), rec.petition.id, Filter::status(status)), format, out).await
}
