//! `undersigned export`: a petition's signatures as CSV or JSON on standard output, streamed
//! chunk by chunk (see `db::export`) so memory stays flat however many there are.

use std::io::Write;

use anyhow::bail;
use entity::signature;
use sea_orm::{ActiveEnum, DatabaseConnection};

use super::ExportFormat;
use crate::{
    db::{
        export::{Filter, prefetch},
        petitions,
        staff::{self, Audit},
    },
    export::{self, Format},
};

/// Writes the export of petition `slug` to `out`, read from `db`; the audit log (in `write`)
/// records it first, as it does every download.
pub async fn run<W: Write>(
    db: &DatabaseConnection,
    write: &DatabaseConnection,
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
    let status_name =
        status.map_or_else(|| "every status".to_owned(), |s| format!("status {}", s.to_value()));
    let entry = Audit {
        actor: "command line",
        action: "export.downloaded",
        subject: Some(format!("petition:{}", rec.petition.id)),
        detail: Some(format!(
            "undersigned export, {}, {status_name}",
            if format == Format::Csv { "CSV" } else { "JSON" }
        )),
        ..Audit::default()
    };
    staff::audit(write, entry, chrono::Utc::now()).await?;
    // The next chunk is read while this one is written.
    export::write(prefetch(db.clone(), rec.petition.id, Filter::status(status)), format, out).await
}
