//! `undersigned report --petition SLUG [--sharing] [--format csv]`.

use std::io::Write;

use anyhow::bail;
use sea_orm::DatabaseConnection;

use super::ReportFormat;
use crate::db::{
    petitions,
    report::{Line, report},
    sharing::{self, Sharing},
};
use crate::domain::spend::money;

pub async fn run<W: Write>(
    db: &DatabaseConnection,
    slug: &str,
    format: ReportFormat,
    out: W,
) -> anyhow::Result<()> {
    let rec = petition(db, slug).await?;
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

/// `undersigned report --petition SLUG --sharing`: per network, then per share text, then the
/// referral figures, then the top sharers by share code. As CSV, one table: `section, key,
/// share_clicks, signatures, signatures_per_click, reach, per_click_low, per_click_high, text`,
/// where a `referrals` row's figure is in `signatures` and a share text's interval is 95%.
pub async fn sharing<W: Write>(
    db: &DatabaseConnection,
    slug: &str,
    format: ReportFormat,
    out: W,
) -> anyhow::Result<()> {
    let rec = petition(db, slug).await?;
    let s = sharing::sharing(db, rec.petition.id).await?;
    let mut out = std::io::BufWriter::new(out);
    let ratio = |r: Option<f64>| r.map(|r| format!("{r:.2}")).unwrap_or_default();
    match format {
        ReportFormat::Csv => {
            let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
            w.write_record([
                "section",
                "key",
                "share_clicks",
                "signatures",
                "signatures_per_click",
                "reach",
                "per_click_low",
                "per_click_high",
                "text",
            ])?;
            for l in &s.networks {
                let section = if l.key == "total" { "total" } else { "network" };
                w.write_record([
                    section,
                    &l.key,
                    &l.clicks.to_string(),
                    &l.signatures.to_string(),
                    &ratio(l.per_click()),
                    "",
                    "",
                    "",
                    "",
                ])?;
            }
            for t in &s.texts {
                let (low, high) = t.interval().unzip();
                w.write_record([
                    "share_text",
                    &t.id.map_or_else(|| "default".to_owned(), |id| id.to_string()),
                    &t.clicks.to_string(),
                    &t.signatures.to_string(),
                    &ratio(t.per_click()),
                    "",
                    &ratio(low),
                    &ratio(high),
                    &t.text,
                ])?;
            }
            for (key, value) in referral_figures(&s) {
                w.write_record(["referrals", key, "", &value, "", "", "", "", ""])?;
            }
            for t in &s.top {
                w.write_record([
                    "sharer",
                    &t.code,
                    "",
                    &t.brought.to_string(),
                    "",
                    &t.reach.to_string(),
                    "",
                    "",
                    "",
                ])?;
            }
            w.flush()?;
        }
        ReportFormat::Text => {
            writeln!(out, "{} ({slug}): sharing", rec.petition.title)?;
            writeln!(
                out,
                "{:<10}  {:>12}  {:>10}  {:>9}",
                "network", "share_clicks", "signatures", "per_click"
            )?;
            for l in &s.networks {
                writeln!(
                    out,
                    "{:<10}  {:>12}  {:>10}  {:>9}",
                    l.key,
                    l.clicks,
                    l.signatures,
                    ratio(l.per_click())
                )?;
            }
            if !s.texts.is_empty() {
                writeln!(out, "\nShare texts (signatures per click with its 95% interval)")?;
                writeln!(
                    out,
                    "  {:<10}  {:>12}  {:>10}  {:>9}  {:>11}  text",
                    "text", "share_clicks", "signatures", "per_click", "interval"
                )?;
                for t in &s.texts {
                    let range = t.interval().map(|(l, h)| format!("{l:.2}–{h:.2}")).unwrap_or_default();
                    let text = if t.id.is_none() { "(the site's own wording)" } else { t.text.as_str() };
                    writeln!(
                        out,
                        "  {:<10}  {:>12}  {:>10}  {:>9}  {:>11}  {text}",
                        text_key(t),
                        t.clicks,
                        t.signatures,
                        ratio(t.per_click()),
                        range
                    )?;
                }
            }
            writeln!(out, "\nReferrals")?;
            for (key, value) in referral_figures(&s) {
                writeln!(out, "  {:<22}  {value}", key.replace('_', " "))?;
            }
            if !s.top.is_empty() {
                writeln!(out, "\nTop sharers (share codes)")?;
                writeln!(out, "  {:<16}  {:>7}  {:>7}", "code", "brought", "reach")?;
                for t in &s.top {
                    writeln!(out, "  {:<16}  {:>7}  {:>7}", t.code, t.brought, t.reach)?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// A share text's key: its id, with its language and `retired` when it is; `default` for the
/// site's own wording.
fn text_key(t: &sharing::TextLine) -> String {
    match (t.id, t.locale) {
        (Some(id), Some(locale)) if t.live => format!("{id} {}", locale.tag()),
        (Some(id), Some(locale)) => format!("{id} {} retired", locale.tag()),
        _ => "default".to_owned(),
    }
}

fn referral_figures(s: &Sharing) -> [(&'static str, String); 4] {
    [
        ("referred_signers", s.referred.to_string()),
        ("sharers", s.sharers.to_string()),
        ("signatures_per_sharer", s.per_sharer().map(|r| format!("{r:.2}")).unwrap_or_default()),
        ("deepest_chain", s.deepest_chain.to_string()),
    ]
}

async fn petition(db: &DatabaseConnection, slug: &str) -> anyhow::Result<petitions::PetitionRecord> {
    match petitions::find_by_slug(db, slug).await? {
        Some(rec) => Ok(rec),
        None => bail!("no petition with slug {slug:?}"),
    }
}
