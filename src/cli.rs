//! The command line: `undersigned [serve|migrate|demo|export]`.

pub mod delivery;
pub mod demo;
pub mod export;
pub mod report;
pub mod share_text;
pub mod spend;
pub mod staff;
pub mod token;
pub mod webhook;

use clap::{Parser, Subcommand, ValueEnum};
use entity::signature;

use crate::{config::Config, db::Database, startup};

#[derive(Debug, Parser)]
#[command(
    name = "undersigned",
    version,
    about = "Petitions and open letters for union and community campaigns"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, then serve (the default).
    Serve,
    /// Apply migrations and exit.
    Migrate,
    /// Load a sample campaign: a petition, an open letter and two ad landing pages.
    Demo,
    /// Write a petition's signatures to standard output, streaming.
    Export {
        /// The petition's slug.
        #[arg(long)]
        petition: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
        format: ExportFormat,
        /// Only signatures with this status (default: all).
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
    },
    /// A petition's visits, signatures, conversion, spend and cost per signature, by day,
    /// landing page, campaign and poster short code.
    Report {
        /// The petition's slug.
        #[arg(long)]
        petition: String,
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
        /// Report sharing instead: share clicks and the signatures they brought per network,
        /// and the referral tree (referred signers, signatures per sharer, deepest chain, top
        /// sharers by share code).
        #[arg(long)]
        sharing: bool,
    },
    /// Recount: each petition's tally and aggregates against its validated signatures, row by
    /// row. Exits with status 1 when any drifts (for a scheduled check), unless `--fix` set the
    /// tallies from the rows and made the aggregates again.
    Recount {
        /// One petition's slug (default: every petition).
        #[arg(long)]
        petition: Option<String>,
        /// Set drifting tallies from the rows (audited) and make the aggregates again.
        #[arg(long)]
        fix: bool,
    },
    /// Retention: anonymises now the signers of every petition closed `RETENTION_MONTHS` or
    /// more ago (the server does it by itself too); counts, aggregates and deliveries stay.
    Retention {
        /// List the petitions that are due, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Ad spend: import a platform's export, or enter spend for a landing page.
    Spend {
        #[command(subcommand)]
        action: SpendCommand,
    },
    /// Webhooks: endpoints that receive events, and deliveries that failed.
    Webhook {
        #[command(subcommand)]
        action: WebhookCommand,
    },
    /// Staff accounts: create one (printing a one-time link to set its password), or a new
    /// link for a lost password.
    Staff {
        #[command(subcommand)]
        action: StaffCommand,
    },
    /// Share texts: the wordings (and preview images) a petition's share buttons offer, one
    /// chosen per click, most often the one that brings most signatures.
    ShareText {
        #[command(subcommand)]
        action: ShareTextCommand,
    },
    /// API tokens for `/api/v1`: make one (printed once), list them, revoke one.
    Token {
        #[command(subcommand)]
        action: TokenCommand,
    },
    /// Deliveries: freeze a petition or letter as of a cut-off; print its public record's
    /// address and the SHA-256 of its signer list.
    Delivery {
        #[command(subcommand)]
        action: DeliveryCommand,
    },
    /// Print the SHA-256 of a delivery's signer list (and what it holds), to compare with its
    /// public record.
    VerifyDelivery {
        /// The signer list (CSV).
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveryCommand {
    /// Make a delivery.
    Create {
        /// The petition's or letter's slug.
        #[arg(long)]
        petition: String,
        /// The cut-off, RFC 3339 (`2026-11-27T17:00:00Z`); default: now.
        #[arg(long)]
        cutoff: Option<String>,
        /// The signer list's columns besides reference, time and region, for signers who
        /// agreed to be named: any of name, job_title, worksite, comment.
        #[arg(long, default_value = "name")]
        fields: String,
        /// Deliver to this recipient only (by name; repeat for several); default: every
        /// recipient of the letter.
        #[arg(long = "recipient")]
        recipients: Vec<String>,
        /// Email the letter, packet attached, to the recipients delivered to who have an
        /// address (sent by a running server with `SMTP_URL`; until then in its outbox).
        #[arg(long)]
        email: bool,
        /// Write the signer list here too.
        #[arg(long)]
        signers: Option<std::path::PathBuf>,
        /// Write the delivery packet (PDF) here.
        #[arg(long)]
        pdf: Option<std::path::PathBuf>,
        /// Lay the packet out in landscape.
        #[arg(long)]
        landscape: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it (once: only its hash is kept).
    Create {
        /// What it is for, like "CRM sync".
        #[arg(long)]
        name: String,
        /// read (petitions, counts, signatures) or write (also adds signatures).
        #[arg(long)]
        scope: String,
    },
    /// Every token: its id, name, scope, first characters, last use, and whether it is revoked.
    List,
    /// Revoke a token at once.
    Revoke {
        #[arg(long)]
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create an account; prints a one-time link (valid 24 hours) to set its password.
    Create {
        #[arg(long)]
        email: String,
        /// admin (everything), organizer (campaigns, exports, signatures) or viewer (counts and
        /// reports, no personal data).
        #[arg(long)]
        role: String,
    },
    /// A new one-time link (valid an hour) to set an account's password.
    Reset {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShareTextCommand {
    /// Add a wording; prints its id.
    Add {
        /// The petition's slug.
        #[arg(long)]
        petition: String,
        /// The message suggested to the sharer, before the link (one line, at most 280
        /// characters).
        #[arg(long)]
        text: String,
        /// The language of the pages that offer it (default: the petition's).
        #[arg(long)]
        locale: Option<String>,
        /// A preview image (PNG, JPEG or WebP, at most 5 MB; 1200×630 suits most networks)
        /// for links shared with this text.
        #[arg(long)]
        image: Option<std::path::PathBuf>,
        /// What the image shows, for people who cannot see it (required with --image).
        #[arg(long)]
        alt: Option<String>,
    },
    /// A petition's wordings, with their clicks, signatures and signatures per click (95%
    /// interval).
    List {
        #[arg(long)]
        petition: String,
    },
    /// Stop offering a wording (links already shared still credit it).
    Retire { id: i64 },
    /// Offer a retired wording again.
    Restore { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Add an endpoint; prints its id and the secret that signs its deliveries (shown once).
    Add {
        /// Where events are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// Comma-separated: signature.created, signature.confirmed, share.clicked,
        /// delivery.created.
        #[arg(long)]
        events: String,
        /// `counts`: no personal data; `contacts`: with each signer's contact fields.
        #[arg(long, default_value = "counts")]
        scope: String,
        /// Only this petition's events (default: every petition's).
        #[arg(long)]
        petition: Option<String>,
        /// The signing secret (default: a new random one).
        #[arg(long)]
        secret: Option<String>,
    },
    /// Every endpoint, with its deliveries: pending, delivered, dead.
    List,
    /// Hold an endpoint's deliveries (its events are still kept, in order to be sent later).
    Pause { id: i64 },
    /// Send a paused endpoint's deliveries again.
    Resume { id: i64 },
    /// Remove an endpoint and its deliveries.
    Remove { id: i64 },
    /// Deliveries that failed: given up (dead) or waiting for another attempt.
    Failures {
        #[arg(long, default_value_t = 50)]
        limit: u64,
    },
    /// Send dead deliveries again: one by id, or all with --all.
    Retry {
        /// A delivery's id (from `webhook failures`).
        id: Option<i64>,
        #[arg(long, conflicts_with = "id")]
        all: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    Text,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum SpendCommand {
    /// Import a Meta Ads Manager or Google Ads daily campaign export (CSV). Each campaign is
    /// matched to the petition its signatures' `utm_campaign` names. Nothing is imported if any
    /// row is refused, unless --skip-refused.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Every row belongs to this petition (for campaigns that have brought no signature yet).
        #[arg(long)]
        petition: Option<String>,
        /// Import the rows that are fine even if others are refused.
        #[arg(long)]
        skip_refused: bool,
    },
    /// Enter (or correct) what ads for one landing page cost on one day.
    Add {
        /// The landing page's slug.
        #[arg(long)]
        landing: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        day: chrono::NaiveDate,
        /// The amount, such as 125.50.
        #[arg(long)]
        amount: String,
        /// ISO 4217 code.
        #[arg(long, default_value = "USD")]
        currency: String,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Pending,
    Held,
    Validated,
    Fraudulent,
    Invalidated,
}

impl From<StatusArg> for signature::Status {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => Self::Pending,
            StatusArg::Held => Self::Held,
            StatusArg::Validated => Self::Validated,
            StatusArg::Fraudulent => Self::Fraudulent,
            StatusArg::Invalidated => Self::Invalidated,
        }
    }
}

/// Runs one command to completion.
pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = startup::Application::build(config).await?;
            if let Some(link) = app.setup_link() {
                eprintln!(
                    "No staff account exists yet. To create the first admin, open this link within an hour \
                     (it works once):\n\n    {link}\n"
                );
            }
            app.run_until_stopped(startup::shutdown_signal()).await?;
        }
        Command::Migrate => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            eprintln!("Migrations applied.");
            db.close().await;
        }
        Command::Demo => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            demo::load(&db.write, &config).await?;
            db.close().await;
        }
        Command::Recount { petition, fix } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = recount(&db, petition.as_deref(), fix).await;
            db.close().await;
            if !result? {
                std::process::exit(1);
            }
        }
        Command::Retention { dry_run } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = retention(&db, config.retention_months, dry_run).await;
            db.close().await;
            result?;
        }
        Command::Report { petition, format, sharing } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let out = std::io::stdout();
            let result = if sharing {
                report::sharing(&db.read, &petition, format, out).await
            } else {
                report::run(&db.read, &petition, format, out).await
            };
            db.close().await;
            result?;
        }
        Command::Spend { action } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = spend::run(&db, action).await;
            db.close().await;
            result?;
        }
        Command::Webhook { action } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = webhook::run(&db, &config, action, std::io::stdout()).await;
            db.close().await;
            result?;
        }
        Command::Staff { action } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = staff::run(&db, &config, action, std::io::stdout()).await;
            db.close().await;
            result?;
        }
        Command::ShareText { action } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = share_text::run(&db, action, std::io::stdout()).await;
            db.close().await;
            result?;
        }
        Command::Token { action } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = token::run(&db, action, std::io::stdout()).await;
            db.close().await;
            result?;
        }
        Command::Delivery {
            action:
                DeliveryCommand::Create { petition, cutoff, fields, recipients, email, signers, pdf, landscape },
        } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let result = delivery::create(
                &db,
                &config,
                delivery::Request {
                    slug: &petition,
                    cutoff: cutoff.as_deref(),
                    fields: &fields,
                    recipients: &recipients,
                    email,
                },
                delivery::Outputs { signers: signers.as_deref(), pdf: pdf.as_deref(), landscape },
                std::io::stdout(),
            )
            .await;
            db.close().await;
            result?;
        }
        Command::VerifyDelivery { file } => delivery::verify(&file, std::io::stdout())?,
        Command::Export { petition, format, status } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let out = std::io::stdout();
            export::run(&db.read, &db.write, &petition, format, status.map(Into::into), out).await?;
            db.close().await;
        }
    }
    Ok(())
}

/// `undersigned retention`: anonymises (or, dry, lists) the petitions due, one line each.
async fn retention(db: &Database, months: Option<u32>, dry_run: bool) -> anyhow::Result<()> {
    use crate::db::retention;
    use std::io::Write;
    let Some(months) = months else {
        eprintln!("RETENTION_MONTHS is off: signer data is kept.");
        return Ok(());
    };
    let now = chrono::Utc::now();
    let mut out = std::io::stdout().lock();
    if dry_run {
        let due = retention::due(&db.write, retention::cutoff(now, months)).await?;
        for (_, slug) in &due {
            writeln!(out, "{slug}\tdue")?;
        }
        eprintln!("{} petitions closed {months} months ago or more are due; nothing changed.", due.len());
        return Ok(());
    }
    let done = retention::run(&db.write, months, now).await?;
    for (slug, a) in &done {
        writeln!(
            out,
            "{slug}\t{} signatures\t{} supporters\t{} emails",
            a.signatures, a.supporters, a.emails
        )?;
    }
    eprintln!("{} petitions closed {months} months ago or more anonymised.", done.len());
    Ok(())
}

/// `undersigned recount`: prints each petition's counts and drift; whether all agree (after
/// `fix`, if asked).
async fn recount(db: &Database, slug: Option<&str>, fix: bool) -> anyhow::Result<bool> {
    use crate::db::recount;
    use std::io::Write;
    let found = recount::check(&db.read, slug).await?;
    if let (Some(slug), true) = (slug, found.is_empty()) {
        anyhow::bail!("no petition {slug:?}");
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "petition\ttally\trows\taggregates\tdrift")?;
    let mut agree = true;
    for r in &found {
        let mut drift = Vec::new();
        if r.tally != r.rows {
            drift.push(format!("tally {:+}", r.tally - r.rows));
        }
        if r.aggregated != r.rows {
            drift.push(format!("aggregates {:+}", r.aggregated - r.rows));
        }
        let shown = if drift.is_empty() { "none".to_owned() } else { drift.join(", ") };
        writeln!(out, "{}\t{}\t{}\t{}\t{shown}", r.slug, r.tally, r.rows, r.aggregated)?;
        if !r.drifts() {
            continue;
        }
        if !fix {
            agree = false;
            continue;
        }
        let now = recount::fix(&db.write, r, chrono::Utc::now()).await?;
        writeln!(
            out,
            "{}: tally {} and aggregates {}, from {} rows",
            r.slug, now.tally, now.aggregated, now.rows
        )?;
    }
    Ok(agree)
}
