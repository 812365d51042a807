//! `undersigned delivery create` and `undersigned verify-delivery`: a delivery made from the
//! command line (as from its staff page), and a signer list checked against its record.

use std::{io::Write, path::Path};

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use sea_orm::TransactionTrait;

use crate::{
    config::Config,
    db::{
        Database, deliveries, petitions,
        staff::{self, Audit},
    },
    domain::delivery::{Columns, check, parse_cutoff, timestamp},
};

/// What `delivery create` is asked for.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    pub slug: &'a str,
    /// RFC 3339; none: now.
    pub cutoff: Option<&'a str>,
    /// The list's optional columns, comma-separated.
    pub fields: &'a str,
    /// Recipients by name; none: all.
    pub recipients: &'a [String],
    /// Email the letter to those who have an address.
    pub email: bool,
}

/// Where `delivery create` writes the list and the packet.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outputs<'a> {
    pub signers: Option<&'a Path>,
    pub pdf: Option<&'a Path>,
    pub landscape: bool,
}

/// Makes the delivery `request` asks for; prints its public record's address and digest, then
/// writes the list and the packet where `outputs` asks.
pub async fn create<W: Write>(
    db: &Database,
    config: &Config,
    request: Request<'_>,
    outputs: Outputs<'_>,
    mut out: W,
) -> anyhow::Result<()> {
    let Request { slug, cutoff, fields, recipients, email } = request;
    let rec =
        petitions::find_by_slug(&db.read, slug).await?.with_context(|| format!("no petition {slug:?}"))?;
    let now = Utc::now();
    let cutoff = parse_cutoff(cutoff.unwrap_or_default(), now)
        .with_context(|| "--cutoff: write it like 2026-11-27T17:00:00Z (RFC 3339)".to_owned())?;
    let columns = Columns::parse(fields.split(','))
        .map_err(|c| anyhow!("--fields: {c:?} is not one of name, job_title, worksite, comment"))?;
    let chosen = if recipients.is_empty() {
        None
    } else {
        let mut places = Vec::new();
        for name in recipients {
            let place = rec.recipients.iter().position(|r| r.name.trim().eq_ignore_ascii_case(name.trim()));
            let Some(place) = place else {
                let known: Vec<&str> = rec.recipients.iter().map(|r| r.name.as_str()).collect();
                bail!("--recipient {name:?} is not a recipient of {slug}; it has: {}", known.join(", "));
            };
            places.push(place);
        }
        Some(places)
    };
    let public_url = config.absolute("");
    let txn = db.write.begin().await?;
    let new = deliveries::NewDelivery {
        cutoff,
        columns,
        recipients: chosen,
        actor: "command line",
        public_url: &public_url,
    };
    let (made, emails) = match crate::letters::deliver(&txn, &rec, new, email, now).await? {
        Ok(made) => (made.delivery, made.emails),
        Err(refused) => bail!("{refused}"),
    };
    let entry = Audit {
        actor: "command line",
        action: "delivery.created",
        subject: Some(format!("delivery:{}", made.id)),
        detail: Some(format!(
            "{slug}: {} signatures as of {}, sha256 {}, {} emailed",
            made.signers + made.offline,
            timestamp(made.cutoff),
            made.digest,
            emails.len()
        )),
        ..Audit::default()
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    // Said first: the delivery is made, whatever becomes of the files.
    let url = config.absolute(&format!("/d/{}", made.public_id));
    writeln!(out, "{url}")?;
    writeln!(out, "sha256 {}", made.digest)?;
    writeln!(
        out,
        "{} signatures as of {} ({} listed, {} named, {} offline)",
        made.signers + made.offline,
        timestamp(made.cutoff),
        made.signers,
        made.named,
        made.offline
    )?;
    if email {
        writeln!(out, "{} emails to recipients written to the outbox", emails.len())?;
    }
    out.flush()?;
    if let Some(path) = outputs.signers {
        std::fs::write(path, made.signers_csv.as_bytes()).with_context(|| {
            format!("the delivery is made; writing its list to {} failed", path.display())
        })?;
    }
    if let Some(path) = outputs.pdf {
        let locale = crate::i18n::Locale::parse(&made.locale);
        let pdf = crate::packet::pdf(&crate::packet::of_delivery(&made, locale, &url, outputs.landscape))
            .map_err(|e| anyhow!("the delivery is made; its packet was not: {e}"))?;
        std::fs::write(path, pdf).with_context(|| {
            format!("the delivery is made; writing its packet to {} failed", path.display())
        })?;
    }
    Ok(())
}

/// Prints the digest of the signer list in `file`, with what it holds.
pub fn verify<W: Write>(file: &Path, mut out: W) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let checked = check(&bytes).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    writeln!(out, "sha256 {}", checked.digest)?;
    let span = match (&checked.first, &checked.last) {
        (Some(first), Some(last)) => format!(", signed from {first} to {last}"),
        _ => String::new(),
    };
    writeln!(out, "{} signatures, {} named{span}", checked.signatures, checked.named)?;
    writeln!(out, "Compare the sha256 with the one on the delivery's public record.")?;
    Ok(())
}
