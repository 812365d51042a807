//! `undersigned export`: a petition's signatures as CSV or JSON, streamed chunk by chunk (see
//! `db::export`) so memory stays flat however many there are.

use std::io::Write;

use anyhow::{Context, bail};
use entity::signature;
use sea_orm::DatabaseConnection;

use super::ExportFormat;
use crate::db::{
    export::{ExportRow, prefetch},
    petitions,
};

/// The export columns, in order (the public contract).
pub const COLUMNS: [&str; 21] = [
    "signature_id",
    "signed_at",
    "status",
    "given_name",
    "family_name",
    "email",
    "postal_code",
    "phone",
    "employer",
    "comment",
    "email_opt_in",
    "public_name",
    "source",
    "referrer",
    "landing_page",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "confirmed_at",
];

/// A cell a spreadsheet would run as a formula (`= + - @`, or a tab or carriage return that
/// some programs skip before one) is prefixed with `'` so it is shown as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

/// One CSV record, every text cell neutralised.
fn write_csv<W: Write>(w: &mut csv::Writer<W>, r: &ExportRow<'_>) -> csv::Result<()> {
    fn text<W: Write>(w: &mut csv::Writer<W>, v: Option<&str>) -> csv::Result<()> {
        w.write_field(neutralise(v.unwrap_or_default()).as_ref())
    }
    let flag = |v: bool| if v { "true" } else { "false" };
    w.write_field(r.signature_id.to_string())?;
    w.write_field(r.signed_at.as_ref())?;
    w.write_field(r.status.as_ref())?;
    for cell in [&r.given_name, &r.family_name, &r.email, &r.postal_code] {
        text(w, Some(cell))?;
    }
    for cell in [&r.phone, &r.employer, &r.comment] {
        text(w, cell.as_deref())?;
    }
    w.write_field(flag(r.email_opt_in))?;
    w.write_field(flag(r.public_name))?;
    for cell in [
        &r.source,
        &r.referrer,
        &r.landing_page,
        &r.utm_source,
        &r.utm_medium,
        &r.utm_campaign,
        &r.utm_content,
        &r.utm_term,
    ] {
        text(w, cell.as_deref())?;
    }
    w.write_field(r.confirmed_at.as_deref().unwrap_or_default())?;
    w.write_record(None::<&[u8]>)
}

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
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    // The next chunk is read while this one is written.
    let mut chunks = prefetch(db.clone(), rec.petition.id, status);
    match format {
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
            w.write_record(COLUMNS)?;
            while let Some(chunk) = chunks.recv().await {
                chunk?.each(|row| -> anyhow::Result<()> { Ok(write_csv(&mut w, row)?) })?;
            }
            w.flush()?;
        }
        ExportFormat::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            while let Some(chunk) = chunks.recv().await {
                chunk?.each(|row| -> anyhow::Result<()> {
                    out.write_all(if first { b"\n" } else { b",\n" })?;
                    first = false;
                    serde_json::to_writer(&mut out, row)?;
                    Ok(())
                })?;
            }
            out.write_all(b"\n]\n")?;
        }
    }
    out.flush().context("writing the export")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralise("+1 555"), "'+1 555");
        assert_eq!(neutralise("-x"), "'-x");
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("Ana"), "Ana");
        assert_eq!(neutralise(""), "");
    }
}
