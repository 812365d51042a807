use std::time::Duration;

use clap::Parser;
use undersigned::{cli::Cli, config::Config, telemetry};

fn main() -> std::process::ExitCode {
    few_malloc_arenas();
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

/// At most two malloc arenas. glibc gives threads that allocate at the same time arenas of their
/// own (up to eight per core), and memory freed into one is not reused by the others: the SQLite
/// driver reads rows on a thread per connection, so paging through the API or a burst of
/// webhooks left tens of megabytes spread over arenas. With two, the benchmark's peak memory was
/// 47–48 MB instead of 66 MB paging the API and 61 MB instead of 68 MB after the webhook burst, at
/// the same speed. Set before any thread starts; `MALLOC_ARENA_MAX`, if set, is left to decide.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "`mallopt` has no safe wrapper; it is called once, before any thread")]
fn few_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: `mallopt` only changes a setting of the allocator, and no other thread runs yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn few_malloc_arenas() {}
