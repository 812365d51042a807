use std::time::Duration;

use clap::Parser;
use undersigned::{cli::Cli, config::Config, telemetry};

/// mimalloc: a heap per thread, and memory freed by another thread goes back without a lock.
/// Requests allocate on the runtime's threads and the SQLite driver's, and free on others; with
/// glibc's malloc held to two arenas (for its memory) those threads queued on the arenas' locks
/// (a third of the server's futex calls while signing), and a signature took 121–125 µs of the
/// server's CPU time on the load benchmark, against 85–96 µs with mimalloc. Built without
/// transparent huge pages (`no_thp`), which would count in 2 MiB steps in resident memory.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    few_malloc_arenas();
    purge_at_once();
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

/// At most two glibc malloc arenas, for what still allocates through glibc: SQLite (its page
/// caches and statements, on a thread per connection). glibc gives threads that allocate at the
/// same time arenas of their own (up to eight per core), and memory freed into one is not reused
/// by the others. Set before any thread starts; `MALLOC_ARENA_MAX`, if set, is left to decide.
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

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, which the bindings do not
/// name): how many milliseconds memory freed stays committed before it is given back.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory freed is given back to the system at once (mimalloc keeps it a second by default). In
/// the load benchmark, a second's worth of a burst of webhook deliveries and signing kept the
/// server at 86 MB instead of 72, paging the API at 74 MB instead of 52; paging the API was a
/// fifth slower for it (the pages' buffers are mapped afresh), signing and the public pages no
/// slower against `/healthz`. `MIMALLOC_PURGE_DELAY`, if set, is left to decide.
#[expect(unsafe_code, reason = "mimalloc's options are set through its C interface")]
fn purge_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is a store to mimalloc's table of options, safe at any time.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The option's number is the one mimalloc keeps its purge delay under: its default there is
    /// a second, which no neighbouring option has.
    #[test]
    #[expect(unsafe_code, reason = "mimalloc's options are read through its C interface")]
    fn the_purge_delay_option_is_mimallocs() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reading an option is a load from mimalloc's table of options.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
