//! The command line: `undersigned [serve|migrate|demo|export]`.

pub mod demo;
pub mod export;

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
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Pending,
    Validated,
    Fraudulent,
    Invalidated,
}

impl From<StatusArg> for signature::Status {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => Self::Pending,
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
        Command::Export { petition, format, status } => {
            let db = Database::connect(&config.database_url).await?;
            db.migrate().await?;
            let out = std::io::stdout();
            export::run(&db.read, &petition, format, status.map(Into::into), out).await?;
            db.close().await;
        }
    }
    Ok(())
}
