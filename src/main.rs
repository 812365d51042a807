use std::time::Duration;

use clap::Parser;
use undersigned::{cli::Cli, config::Config, telemetry};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    telemetry::init(config.log_format);
    let code = match runtime.block_on(undersigned::cli::run(cli, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    };
    // Everything is done and the database closed. A background task left behind (the
    // connection pool's upkeep can spin once its pool is closed) must not keep the process from
    // exiting, so the runtime gets a moment, not forever.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}
