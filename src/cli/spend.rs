//! `undersigned spend import FILE` and `undersigned spend add`.

use anyhow::{Context, bail};
use chrono::Utc;

use super::SpendCommand;
use crate::{
    db::{Database, landing, petitions, spend},
    domain::spend::{MAX_FILE_BYTES, money, parse, parse_money},
};

pub async fn run(db: &Database, action: SpendCommand) -> anyhow::Result<()> {
    match action {
        SpendCommand::Import { file, petition, skip_refused } => {
            let size = std::fs::metadata(&file).with_context(|| format!("reading {}", file.display()))?.len();
            if size > MAX_FILE_BYTES {
                bail!(
                    "{} is {} MB; a spend export of at most {} MB is expected (nothing was imported)",
                    file.display(),
                    size / 1_048_576,
                    MAX_FILE_BYTES / 1_048_576
                );
            }
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let parsed = parse(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", file.display()))?;
            let petition_id = match petition {
                Some(slug) => Some(
                    petitions::find_by_slug(&db.read, &slug)
                        .await?
                        .with_context(|| format!("no petition with slug {slug:?}; nothing was imported"))?
                        .petition
                        .id,
                ),
                None => None,
            };
            let report = spend::import(&db.write, &parsed, petition_id, skip_refused, Utc::now()).await?;
            for r in &report.refused {
                eprintln!("line {}: refused: {}", r.line, r.reason);
            }
            let totals: Vec<String> = report
                .totals
                .iter()
                .map(|(currency, cents)| format!("{} {currency}", money(*cents)))
                .collect();
            if report.stored == 0 && !report.refused.is_empty() {
                bail!(
                    "{} row(s) refused, so nothing was imported (fix them, or import the rest with --skip-refused)",
                    report.refused.len()
                );
            }
            println!(
                "Imported {} {} row(s){}{}.",
                report.stored,
                parsed.platform.name(),
                if totals.is_empty() { String::new() } else { format!(": {}", totals.join(", ")) },
                if report.refused.is_empty() {
                    String::new()
                } else {
                    format!("; {} refused", report.refused.len())
                }
            );
        }
        SpendCommand::Add { landing: slug, day, amount, currency } => {
            let cents = parse_money(&amount)
                .filter(|c| *c >= 0)
                .with_context(|| format!("{amount:?} is not an amount such as 125.50"))?;
            let currency = currency.trim().to_ascii_uppercase();
            if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
                bail!("{currency:?} is not a currency code such as USD");
            }
            let page = landing::find_any(&db.read, &slug)
                .await?
                .with_context(|| format!("no landing page with slug {slug:?}"))?;
            spend::set_for_landing_page(
                &db.write,
                page.petition_id,
                page.id,
                day,
                (cents, &currency),
                Utc::now(),
            )
            .await?;
            println!("Spend for {slug} on {day}: {} {currency}.", money(cents));
        }
    }
    Ok(())
}
