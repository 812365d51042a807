//! `undersigned export`: a petition's signatures as CSV or JSON, streamed row by row so memory
//! stays flat however many there are.

use std::io::Write;

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use entity::signature;
use futures::TryStreamExt;
use sea_orm::{ConnectionTrait, StreamTrait};
use serde::Serialize;

use super::ExportFormat;
use crate::db::{petitions, signatures};

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

/// One exported row; field order follows [`COLUMNS`].
#[derive(Serialize)]
struct Row<'a> {
    signature_id: i64,
    signed_at: String,
    status: &'a str,
    given_name: &'a str,
    family_name: &'a str,
    email: &'a str,
    postal_code: &'a str,
    phone: Option<&'a str>,
    employer: Option<&'a str>,
    comment: Option<&'a str>,
    email_opt_in: bool,
    public_name: bool,
    source: Option<&'a str>,
    referrer: Option<&'a str>,
    landing_page: Option<&'a str>,
    utm_source: Option<&'a str>,
    utm_medium: Option<&'a str>,
    utm_campaign: Option<&'a str>,
    utm_content: Option<&'a str>,
    utm_term: Option<&'a str>,
    confirmed_at: Option<String>,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn status_str(s: signature::Status) -> &'static str {
    match s {
        signature::Status::Pending => "pending",
        signature::Status::Validated => "validated",
        signature::Status::Fraudulent => "fraudulent",
        signature::Status::Invalidated => "invalidated",
    }
}

impl<'a> Row<'a> {
    fn new(s: &'a signature::Model) -> Self {
        Self {
            signature_id: s.id,
            signed_at: rfc3339(s.signed_at),
            status: status_str(s.status),
            given_name: &s.given_name,
            family_name: &s.family_name,
            email: &s.email,
            postal_code: &s.postal_code,
            phone: s.phone.as_deref(),
            employer: s.employer.as_deref(),
            comment: s.comment.as_deref(),
            email_opt_in: s.email_opt_in,
            public_name: s.public_name,
            source: s.source.as_deref(),
            referrer: s.referrer.as_deref(),
            landing_page: s.landing_page.as_deref(),
            utm_source: s.utm_source.as_deref(),
            utm_medium: s.utm_medium.as_deref(),
            utm_campaign: s.utm_campaign.as_deref(),
            utm_content: s.utm_content.as_deref(),
            utm_term: s.utm_term.as_deref(),
            confirmed_at: s.confirmed_at.map(rfc3339),
        }
    }

    fn csv_record(&self) -> [std::borrow::Cow<'_, str>; 21] {
        let b = |v: bool| if v { "true" } else { "false" };
        let o = |v: Option<&'a str>| neutralise(v.unwrap_or_default());
        [
            self.signature_id.to_string().into(),
            self.signed_at.as_str().into(),
            self.status.into(),
            neutralise(self.given_name),
            neutralise(self.family_name),
            neutralise(self.email),
            neutralise(self.postal_code),
            o(self.phone),
            o(self.employer),
            o(self.comment),
            b(self.email_opt_in).into(),
            b(self.public_name).into(),
            o(self.source),
            o(self.referrer),
            o(self.landing_page),
            o(self.utm_source),
            o(self.utm_medium),
            o(self.utm_campaign),
            o(self.utm_content),
            o(self.utm_term),
            self.confirmed_at.as_deref().unwrap_or_default().into(),
        ]
    }
}

/// A cell a spreadsheet would run as a formula (`= + - @`, or a tab or carriage return that
/// some programs skip before one) is prefixed with `'` so it is shown as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

/// Writes the export of petition `slug` to `out`.
pub async fn run<C, W>(
    db: &C,
    slug: &str,
    format: ExportFormat,
    status: Option<signature::Status>,
    out: W,
) -> anyhow::Result<()>
where
    C: ConnectionTrait + StreamTrait + Send,
    W: Write,
{
    let Some(rec) = petitions::find_by_slug(db, slug).await? else {
        bail!("no petition with slug {slug:?}");
    };
    let mut rows = Box::pin(signatures::stream(db, rec.petition.id, status).await?);
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    match format {
        ExportFormat::Csv => {
            let mut w = csv::WriterBuilder::new().from_writer(&mut out);
            w.write_record(COLUMNS)?;
            while let Some(s) = rows.try_next().await? {
                w.write_record(Row::new(&s).csv_record().iter().map(|c| c.as_ref()))?;
            }
            w.flush()?;
        }
        ExportFormat::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            while let Some(s) = rows.try_next().await? {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                serde_json::to_writer(&mut out, &Row::new(&s))?;
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
