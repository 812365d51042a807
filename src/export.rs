//! Writing a petition's signatures out: CSV for spreadsheets (header row, CRLF line ends,
//! formula-like cells neutralised) or a JSON array, from the chunks that [`crate::db::export`]
//! reads. One writer for every export, so the columns and rules are the same wherever a
//! download comes from.

pub mod download;
pub mod stream;

use std::io::Write;

use anyhow::Context;
use sea_orm::DbErr;
use tokio::sync::mpsc;

use crate::db::export::{Chunk, PlainRow, SheetRow, columns};

/// What an export is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// Writes every chunk from `chunks` to `out` as `format`, in order, flushing at the end.
pub async fn write<W: Write>(
    mut chunks: mpsc::Receiver<Result<Chunk, DbErr>>,
    format: Format,
    out: W,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .has_headers(false)
                .from_writer(&mut out);
            // Written even when there are no rows, so an empty export still names its columns.
            w.write_record(columns())?;
            while let Some(chunk) = chunks.recv().await {
                chunk?.each(|row: &SheetRow<'_>| -> anyhow::Result<()> { Ok(w.serialize(row)?) })?;
            }
            w.flush()?;
        }
        Format::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            while let Some(chunk) = chunks.recv().await {
                chunk?.each(|row: &PlainRow<'_>| -> anyhow::Result<()> {
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
