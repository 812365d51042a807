//! Downloads from the staff pages: a petition's signatures with the columns the petition
//! collects (and, for viewers, none that name a person), as CSV that spreadsheets open right
//! with a double-click (UTF-8 with a byte order mark), JSON Lines, or an Excel workbook written in
//! constant memory; and the Action Network column set, for its list upload.

use std::{borrow::Cow, io::Write};

use anyhow::Context;
use rust_xlsxwriter::{Format as CellFormat, Workbook};
use sea_orm::DbErr;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::{
    db::export::{Chunk, PlainRow, neutralise},
    domain::{Field, FormFields},
};

/// A column a download can have, read from an exported row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    SignatureId,
    SignedAt,
    Status,
    GivenName,
    FamilyName,
    Email,
    PostalCode,
    Phone,
    Employer,
    JobTitle,
    Worksite,
    Comment,
    EmailOptIn,
    PublicName,
    Source,
    Referrer,
    LandingPage,
    UtmSource,
    UtmMedium,
    UtmCampaign,
    UtmContent,
    UtmTerm,
    ConfirmedAt,
    /// The petition's postal country, the same on every row.
    Country,
}

/// A cell's value.
enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Flag(bool),
    Empty,
}

fn text<'a>(v: &'a Option<crate::db::export::Text<'_, false>>) -> Cell<'a> {
    v.as_ref().map_or(Cell::Empty, |t| Cell::Text(&t.0))
}

impl Col {
    fn of<'a>(self, row: &'a PlainRow<'_>, country: &'a str) -> Cell<'a> {
        match self {
            Self::SignatureId => Cell::Int(row.signature_id),
            Self::SignedAt => Cell::Text(&row.signed_at),
            Self::Status => Cell::Text(&row.status),
            Self::GivenName => Cell::Text(&row.given_name.0),
            Self::FamilyName => Cell::Text(&row.family_name.0),
            Self::Email => Cell::Text(&row.email.0),
            Self::PostalCode => Cell::Text(&row.postal_code.0),
            Self::Phone => text(&row.phone),
            Self::Employer => text(&row.employer),
            Self::JobTitle => text(&row.job_title),
            Self::Worksite => text(&row.worksite),
            Self::Comment => text(&row.comment),
            Self::EmailOptIn => Cell::Flag(row.email_opt_in),
            Self::PublicName => Cell::Flag(row.public_name),
            Self::Source => text(&row.source),
            Self::Referrer => text(&row.referrer),
            Self::LandingPage => text(&row.landing_page),
            Self::UtmSource => text(&row.utm_source),
            Self::UtmMedium => text(&row.utm_medium),
            Self::UtmCampaign => text(&row.utm_campaign),
            Self::UtmContent => text(&row.utm_content),
            Self::UtmTerm => text(&row.utm_term),
            Self::ConfirmedAt => row.confirmed_at.as_deref().map_or(Cell::Empty, Cell::Text),
            Self::Country => Cell::Text(country),
        }
    }
}

/// The columns of a download, each with its heading.
#[derive(Clone, Debug)]
pub struct Layout {
    pub columns: Vec<(&'static str, Col)>,
    /// What [`Col::Country`] says.
    pub country: String,
}

/// A field the form may ask for, and its column.
const ASKED: [(Field, &str, Col); 6] = [
    (Field::PostalCode, "postal_code", Col::PostalCode),
    (Field::Phone, "phone", Col::Phone),
    (Field::Employer, "employer", Col::Employer),
    (Field::JobTitle, "job_title", Col::JobTitle),
    (Field::Worksite, "worksite", Col::Worksite),
    (Field::Comment, "comment", Col::Comment),
];

impl Layout {
    /// The export columns (DESIGN.md), with only the fields the form asks for; without any
    /// column that names or reaches a person unless `personal`.
    pub fn standard(fields: &FormFields, personal: bool) -> Self {
        let mut columns =
            vec![("signature_id", Col::SignatureId), ("signed_at", Col::SignedAt), ("status", Col::Status)];
        if personal {
            columns.extend([
                ("given_name", Col::GivenName),
                ("family_name", Col::FamilyName),
                ("email", Col::Email),
            ]);
            columns
                .extend(ASKED.iter().filter(|(f, ..)| fields.shows(*f)).map(|(_, name, col)| (*name, *col)));
            columns.extend([("email_opt_in", Col::EmailOptIn), ("public_name", Col::PublicName)]);
        }
        columns.extend([
            ("source", Col::Source),
            ("referrer", Col::Referrer),
            ("landing_page", Col::LandingPage),
            ("utm_source", Col::UtmSource),
            ("utm_medium", Col::UtmMedium),
            ("utm_campaign", Col::UtmCampaign),
            ("utm_content", Col::UtmContent),
            ("utm_term", Col::UtmTerm),
            ("confirmed_at", Col::ConfirmedAt),
        ]);
        Self { columns, country: String::new() }
    }

    /// Action Network's list upload: its own field names (`first_name`, `last_name`, `email`,
    /// `zip_code`, `country`, `phone`), which it matches without asking, then the form's other
    /// fields and where the signer came from as custom columns. Only signers who agreed to
    /// updates belong in such a list (the caller filters them).
    pub fn action_network(fields: &FormFields, country: &str) -> Self {
        let mut columns =
            vec![("first_name", Col::GivenName), ("last_name", Col::FamilyName), ("email", Col::Email)];
        if fields.shows(Field::PostalCode) {
            columns.extend([("zip_code", Col::PostalCode), ("country", Col::Country)]);
        }
        if fields.shows(Field::Phone) {
            columns.push(("phone", Col::Phone));
        }
        columns.extend(
            ASKED
                .iter()
                .filter(|(f, ..)| !matches!(f, Field::PostalCode | Field::Phone) && fields.shows(*f))
                .map(|(_, name, col)| (*name, *col)),
        );
        columns.extend([
            ("signed_at", Col::SignedAt),
            ("source", Col::Source),
            ("utm_campaign", Col::UtmCampaign),
        ]);
        Self { columns, country: country.to_owned() }
    }

    pub fn headings(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns.iter().map(|(h, _)| *h)
    }
}

/// What a download is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// CSV with a byte order mark, CRLF line ends and formula-like cells neutralised: for a
    /// person's double-click.
    Csv,
    /// The same without the byte order mark: for programs (a spreadsheet's import function).
    PlainCsv,
    /// One JSON object per line.
    JsonLines,
    /// An Excel workbook.
    Xlsx,
}

/// Writes every chunk to `out` as `kind` with `layout`; returns the rows written. Runs on a
/// blocking thread (it blocks on `chunks` and on `out`).
pub fn write(
    mut chunks: mpsc::Receiver<Result<Chunk, DbErr>>,
    layout: &Layout,
    kind: Kind,
    out: impl Write + Send,
) -> anyhow::Result<u64> {
    let mut rows = 0_u64;
    let country = layout.country.as_str();
    match kind {
        Kind::Csv | Kind::PlainCsv => {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
            if kind == Kind::Csv {
                // The byte order mark that makes Excel and LibreOffice read the file as UTF-8.
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
            w.write_record(layout.headings())?;
            while let Some(chunk) = chunks.blocking_recv() {
                chunk?.each(|row: &PlainRow<'_>| -> anyhow::Result<()> {
                    for (_, col) in &layout.columns {
                        let cell: Cow<'_, str> = match col.of(row, country) {
                            Cell::Text(t) => neutralise(t),
                            Cell::Int(n) => n.to_string().into(),
                            Cell::Flag(b) => (if b { "true" } else { "false" }).into(),
                            Cell::Empty => "".into(),
                        };
                        w.write_field(cell.as_bytes())?;
                    }
                    // An empty record ends the one whose fields were just written.
                    w.write_record(None::<&[u8]>)?;
                    rows += 1;
                    Ok(())
                })?;
            }
            w.flush()?;
            drop(w);
            out.flush().context("writing the download")?;
        }
        Kind::JsonLines => {
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
            while let Some(chunk) = chunks.blocking_recv() {
                chunk?.each(|row: &PlainRow<'_>| -> anyhow::Result<()> {
                    let mut object = Map::with_capacity(layout.columns.len());
                    for (heading, col) in &layout.columns {
                        let value = match col.of(row, country) {
                            Cell::Text(t) => Value::from(t),
                            Cell::Int(n) => Value::from(n),
                            Cell::Flag(b) => Value::from(b),
                            Cell::Empty => Value::Null,
                        };
                        object.insert((*heading).to_owned(), value);
                    }
                    serde_json::to_writer(&mut out, &object)?;
                    out.write_all(b"\n")?;
                    rows += 1;
                    Ok(())
                })?;
            }
            out.flush().context("writing the download")?;
        }
        Kind::Xlsx => {
            let mut workbook = Workbook::new();
            let bold = CellFormat::new().set_bold();
            let sheet = workbook.add_worksheet_with_constant_memory()?;
            sheet.set_name("Signatures")?;
            for (i, heading) in layout.headings().enumerate() {
                sheet.write_string_with_format(0, column(i)?, heading, &bold)?;
            }
            sheet.set_freeze_panes(1, 0)?;
            let mut at: u32 = 0;
            while let Some(chunk) = chunks.blocking_recv() {
                chunk?.each(|row: &PlainRow<'_>| -> anyhow::Result<()> {
                    at = at.checked_add(1).filter(|r| *r < 1_048_576).context(
                        "more signatures than an Excel sheet holds (1,048,575): download them as CSV",
                    )?;
                    for (i, (_, col)) in layout.columns.iter().enumerate() {
                        match col.of(row, country) {
                            // Cells are written as text, never as formulas.
                            Cell::Text(t) => sheet.write_string(at, column(i)?, t)?,
                            Cell::Int(n) => sheet.write_number(at, column(i)?, n as f64)?,
                            Cell::Flag(b) => sheet.write_boolean(at, column(i)?, b)?,
                            Cell::Empty => sheet,
                        };
                    }
                    rows += 1;
                    Ok(())
                })?;
            }
            workbook.save_to_writer(out)?;
        }
    }
    Ok(rows)
}

fn column(i: usize) -> anyhow::Result<u16> {
    u16::try_from(i).context("too many columns")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Ask;

    #[test]
    fn only_the_fields_asked_and_nothing_personal_for_viewers() {
        let fields =
            FormFields::none().with(Field::PostalCode, Ask::Required).with(Field::Worksite, Ask::Optional);
        let organizer: Vec<&str> = Layout::standard(&fields, true).headings().collect();
        assert!(organizer.contains(&"postal_code") && organizer.contains(&"worksite"));
        assert!(!organizer.contains(&"phone") && !organizer.contains(&"comment"));
        assert!(organizer.contains(&"email") && organizer.contains(&"given_name"));
        let viewer: Vec<&str> = Layout::standard(&fields, false).headings().collect();
        for personal in ["given_name", "family_name", "email", "postal_code", "phone", "worksite", "comment"]
        {
            assert!(!viewer.contains(&personal), "{personal}");
        }
        assert!(viewer.contains(&"utm_campaign") && viewer.contains(&"signature_id"));
        let an: Vec<&str> = Layout::action_network(&fields, "US").headings().collect();
        assert_eq!(&an[..5], ["first_name", "last_name", "email", "zip_code", "country"]);
    }
}
