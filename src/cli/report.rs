//! `undersigned report --petition SLUG [--format csv]`.

use std::io::Write;

use anyhow::bail;
use sea_orm::DatabaseConnection;

use super::{ReportFormat, spend::money};
use crate::db::{
    petitions,
    report::{Line, report},
};

pub async fn run<W: Write>(
    db: &DatabaseConnection,
    slug: &str,
    format: ReportFormat,
    out: W,
) -> anyhow::Result<()> {
    let Some(rec) = petitions::find_by_slug(db, slug).await? else {
        bail!("no petition with slug {slug:?}");
    };
    let r = report(db, rec.petition.id).await?;
    let currency = if r.mixed_currencies { String::new() } else { r.currency.clone().unwrap_or_default() };
    let cost = |c: Option<f64>| c.map(|c| money(c.round() as i64)).unwrap_or_default();
    let cells = |l: &Line| -> [String; 10] {
        [
            l.dimension.to_owned(),
            l.key.clone(),
            l.visits.map(|v| v.to_string()).unwrap_or_default(),
            l.signatures.to_string(),
            l.new_supporters.to_string(),
            l.conversion().map(|c| format!("{:.1}%", c * 100.0)).unwrap_or_default(),
            l.spend_cents.map(money).unwrap_or_default(),
            if l.spend_cents.is_some() { currency.clone() } else { String::new() },
            cost(l.cost_per_signature()),
            cost(l.cost_per_new_supporter()),
        ]
    };
    const HEADER: [&str; 10] = [
        "dimension",
        "key",
        "visits",
        "signatures",
        "new_supporters",
        "conversion",
        "spend",
        "currency",
        "cost_per_signature",
        "cost_per_new_supporter",
    ];
    let mut out = std::io::BufWriter::new(out);
    match format {
        ReportFormat::Csv => {
            let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
            w.write_record(HEADER)?;
            for l in &r.lines {
                w.write_record(cells(l))?;
            }
            w.flush()?;
        }
        ReportFormat::Text => {
            let rows: Vec<[String; 10]> = r.lines.iter().map(cells).collect();
            let widths: Vec<usize> = (0..10)
                .map(|i| {
                    rows.iter().map(|r| r[i].chars().count()).chain([HEADER[i].len()]).max().unwrap_or(0)
                })
                .collect();
            writeln!(out, "{} ({slug})", rec.petition.title)?;
            let line = |cells: &[&str]| -> String {
                cells
                    .iter()
                    .zip(&widths)
                    .enumerate()
                    .map(|(i, (c, w))| if i < 2 { format!("{c:<w$}") } else { format!("{c:>w$}") })
                    .collect::<Vec<_>>()
                    .join("  ")
            };
            writeln!(out, "{}", line(&HEADER).trim_end())?;
            for row in &rows {
                let refs: Vec<&str> = row.iter().map(String::as_str).collect();
                writeln!(out, "{}", line(&refs).trim_end())?;
            }
            if r.mixed_currencies {
                writeln!(
                    out,
                    "Spend is in several currencies ({}); costs are not added up.",
                    r.currency.unwrap_or_default()
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
