//! Load benchmark: starts the release server on SQLite and/or PostgreSQL, seeds it, drives it
//! with `wrk` over loopback (bounded in time), and reports requests/s, p50/p99 latency, errors,
//! the ratio to the same run's `/healthz` rate (for pages, to `/healthz` measured alternately
//! with the page), server peak RSS, and the export of 1,000,000 signatures. Writes
//! `target/bench/load.md` and `load.json`.
//!
//! ```sh
//! cargo bench --bench load                       # both databases, 10 s per route
//! cargo bench --bench load -- --smoke            # a few seconds per route (CI)
//! cargo bench --bench load -- --db sqlite --duration 20 --connections 64
//! ```
//! PostgreSQL: `BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) names a
//! database to create the bench database from.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database as SeaDatabase, DatabaseConnection, Statement};
use serde::Serialize;

const SERVER: &str = env!("CARGO_BIN_EXE_undersigned");
const SLUG: &str = "safe-staffing";
const EXPORT_SLUG: &str = "bench-export";
const PACKET_SLUG: &str = "bench-packet";
/// Signers of the delivery packet row.
const PACKET_SIGNERS: u64 = 10_000;
/// A wrk script that sends what a phone's browser sends with every page: its `User-Agent`, and
/// the codings it reads (so pages come compressed, as they reach phones).
const BROWSER: &str = r#"wrk.headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd""#;
/// A landing page of [`SLUG`] that `undersigned demo` creates, and its poster's short code.
const LANDING: &str = "staffing-nurses";
const POSTER: &str = "station";

#[derive(Clone)]
struct Options {
    dbs: Vec<Db>,
    duration: u64,
    connections: u32,
    export_rows: u64,
    smoke: bool,
    /// Another build's server binary: only signing is measured, alternating with this build's.
    compare: Option<PathBuf>,
    /// Rounds of the comparison, each `A B B A`.
    rounds: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        }
    }
}

const USAGE: &str = "\
usage: cargo bench --bench load [-- OPTIONS]

  --smoke              a few seconds per route and a 20,000-row export (CI); judges no targets
  --db sqlite|postgres one database only (default: both)
  --duration SECONDS   seconds of load per route (default 10)
  --connections N      concurrent connections (default 64)
  --export-rows N      signatures seeded for the export (default 1,000,000)
  --compare BINARY     only signing: this build's server against another build's binary
                       (an older commit's target/release/undersigned), A B B A per round
  --rounds N           rounds of --compare (default 3)
  --help               this text";

/// Reads the options from `args` (without the program name). `cargo bench` adds `--bench`,
/// which is accepted; anything else unknown, or a value that does not parse, is an error.
fn parse_options(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        dbs: vec![Db::Sqlite, Db::Postgres],
        duration: 10,
        connections: 64,
        export_rows: 1_000_000,
        smoke: false,
        compare: None,
        rounds: 3,
    };
    fn value<T: std::str::FromStr>(flag: &str, v: Option<String>) -> Result<T, String> {
        let v = v.ok_or_else(|| format!("{flag} needs a value"))?;
        v.parse().map_err(|_| format!("{flag}: {v:?} is not valid"))
    }
    let mut rounds_given = false;
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--bench" => {}
            "--smoke" => {
                o.smoke = true;
                o.duration = 2;
                o.export_rows = 20_000;
            }
            "--db" => {
                o.dbs = match args.next().as_deref() {
                    Some("sqlite") => vec![Db::Sqlite],
                    Some("postgres") => vec![Db::Postgres],
                    other => return Err(format!("--db: {other:?} is not sqlite or postgres")),
                }
            }
            "--duration" => o.duration = value("--duration", args.next())?,
            "--connections" => o.connections = value("--connections", args.next())?,
            "--export-rows" => o.export_rows = value("--export-rows", args.next())?,
            "--compare" => {
                let path: PathBuf = value("--compare", args.next())?;
                // cargo runs benchmarks from the package's directory, not the caller's.
                let found =
                    std::fs::canonicalize(&path).map_err(|e| format!("--compare {}: {e}", path.display()))?;
                o.compare = Some(found);
            }
            "--rounds" => {
                o.rounds = value("--rounds", args.next())?;
                rounds_given = true;
            }
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if o.duration == 0 || o.connections == 0 || o.rounds == 0 {
        return Err("--duration, --connections and --rounds must be above zero".into());
    }
    if rounds_given && o.compare.is_none() {
        return Err("--rounds goes with --compare".into());
    }
    Ok(o)
}

fn options() -> Options {
    match parse_options(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

/// One measured route.
#[derive(Clone, Debug, Serialize)]
struct Row {
    db: &'static str,
    name: String,
    requests_per_s: f64,
    /// Latencies of HTTP loads (none for the export).
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    errors: u64,
    requests: u64,
    /// Rate relative to the same run's `/healthz`.
    ratio_to_healthz: Option<f64>,
    /// Server (or export process) peak resident memory during this load, MB.
    peak_rss_mb: f64,
    /// Growth of resident memory over the load, MB.
    rss_growth_mb: f64,
    target: String,
    met: Option<bool>,
    /// Every answer was right: no error responses, the count equals the rows stored, the export
    /// complete. Unlike a missed target, a wrong answer fails the run.
    correct: bool,
    note: String,
}

/// Counts the bytes this process holds from the allocator (and their peak), for the row that
/// weighs the signing limits: exact, and the same on a fast machine as on a slow one (but for
/// `governor`'s store in its note, whose shards are four per core).
struct Counting;

static HELD: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static PEAK: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn held(grew: usize, shrank: usize) {
    if grew >= shrank {
        let now = HELD.fetch_add(grew - shrank, Ordering::Relaxed) + (grew - shrank);
        PEAK.fetch_max(now, Ordering::Relaxed);
    } else {
        HELD.fetch_sub(shrank - grew, Ordering::Relaxed);
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; only sizes are counted.
#[expect(unsafe_code, reason = "a global allocator is an unsafe trait; this one only counts")]
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        held(layout.size(), 0);
        // SAFETY: the caller's guarantees for `layout` are the system allocator's.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        held(0, layout.size());
        // SAFETY: `ptr` came from `alloc` or `realloc` above, with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        held(new_size, layout.size());
        // SAFETY: as for `alloc` and `dealloc`.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    let o = options();
    if Command::new("wrk").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
        eprintln!("error: the load generator `wrk` is not installed (apt-get install wrk)");
        std::process::exit(2);
    }
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    println!(
        "Load benchmark: wrk, {} connections, {} s per route{}, loopback only. Server: {SERVER}",
        o.connections,
        o.duration,
        if o.smoke { " (smoke run: figures are not meaningful)" } else { "" }
    );
    let mut rows = Vec::new();
    if o.compare.is_none() {
        rows.push(limits_memory(&o));
    }
    let mut failed = false;
    for db in &o.dbs {
        let run = match &o.compare {
            Some(other) => rt.block_on(compare(*db, &o, other)),
            None => rt.block_on(run_db(*db, &o)),
        };
        match run {
            Ok(mut r) => rows.append(&mut r),
            Err(e) => {
                eprintln!("error: {} benchmark failed: {e}", db.name());
                failed = true;
            }
        }
    }
    if o.smoke {
        // Two seconds per route (and a process start per small export) say nothing about the
        // targets, so a smoke run does not judge them.
        for r in &mut rows {
            r.met = None;
        }
    }
    let table = markdown(&rows, &o);
    println!("\n{table}");
    let dir = target_dir().join("bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    // A comparison leaves the full benchmark's figures where they are.
    let stem = if o.compare.is_some() { "compare" } else { "load" };
    std::fs::write(dir.join(format!("{stem}.md")), &table).expect("write the table");
    std::fs::write(dir.join(format!("{stem}.json")), serde_json::to_string_pretty(&rows).expect("json"))
        .expect("write the JSON");
    println!("Written to {}", dir.display());
    let harness_ok = rows.iter().all(|r| r.requests > 0 || r.name.starts_with("export"));
    let wrong: Vec<String> =
        rows.iter().filter(|r| !r.correct).map(|r| format!("{} {}", r.db, r.name)).collect();
    if !wrong.is_empty() {
        eprintln!(
            "error: wrong answers (error responses, a count that differs from the rows, or an incomplete export) under: {}",
            wrong.join(", ")
        );
    }
    if failed || !harness_ok || !wrong.is_empty() {
        std::process::exit(1);
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(SERVER).ancestors().nth(2).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"))
    })
}

/// Signatures a second in [`limits_memory`]: SQLite's signing target.
const LIMITS_RATE: u64 = 10_000;

/// What the limits may hold at [`LIMITS_RATE`] (MB): less than the room the webhook burst row
/// leaves under its 64 MB bound when the limits are off (about 47 MB on a machine signing that
/// fast), since the heap's RSS is more than the bytes allocated in it (at 13.7 MB allocated
/// here, that row once reached 65 MB).
const LIMITS_BUDGET_MB: f64 = 10.0;

/// The signing limits' memory under a surge in which every signature comes from a new network
/// and a new address (the keys each limiter must keep grow with the signing rate): two simulated
/// minutes at [`LIMITS_RATE`] a second on the default limits, forgetting as often as the server
/// does ([`undersigned::limits::FORGET_EVERY`]), in this process on a simulated clock. The same
/// with `governor`'s own keyed store (the one the server used before) is in the note.
fn limits_memory(o: &Options) -> Row {
    use governor::{Quota, RateLimiter, clock::FakeRelativeClock};
    use undersigned::limits::{LimitSettings, Limits};

    let per_s = if o.smoke { LIMITS_RATE / 10 } else { LIMITS_RATE };
    let seconds = 120;
    let step = Duration::from_nanos(1_000_000_000 / per_s);
    let ip = |n: u64| std::net::IpAddr::from([10, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    print!("{:<38} ", format!("signing limits at {per_s}/s"));

    // This build's limits, as the server holds them.
    let clock = FakeRelativeClock::default();
    // The settings (with the disposable domains' list) before counting: only the limits count.
    let settings = LimitSettings::default();
    let started = Instant::now();
    let (before, peak_before) = (HELD.load(Ordering::Relaxed), PEAK.swap(0, Ordering::Relaxed));
    PEAK.store(before, Ordering::Relaxed);
    let limits = Limits::with_clock(&settings, clock.clone());
    let mut held_back = 0;
    let mut email = String::new();
    // Checks between two forgettings.
    let every =
        u64::try_from(undersigned::limits::FORGET_EVERY.as_nanos() / step.as_nanos()).unwrap_or(1).max(1);
    for n in 0..seconds * per_s {
        email.clear();
        let _ = write!(email, "s{n}@gmail.com");
        held_back += u64::from(limits.check(1, ip(n), false, &email, "gmail.com").is_some());
        clock.advance(step);
        if (n + 1).is_multiple_of(every) {
            limits.forget_stale();
        }
    }
    let took = started.elapsed();
    let keys = limits.keys();
    let bytes = HELD.load(Ordering::Relaxed).saturating_sub(before);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    drop(limits);

    // governor's keyed store, the same two limits (a network once a minute, an address five
    // times a minute) and the same forgetting.
    let clock = FakeRelativeClock::default();
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let quota = |per: u64, burst: u32| {
        std::num::NonZeroU32::new(burst)
            .and_then(|b| Quota::with_period(Duration::from_secs(per)).map(|q| q.allow_burst(b)))
    };
    let (Some(network_quota), Some(email_quota)) = (quota(60, 1), quota(12, 5)) else {
        unreachable!("the quotas are constants")
    };
    let network = RateLimiter::dashmap_with_clock(network_quota, clock.clone());
    let address = RateLimiter::dashmap_with_clock(email_quota, clock.clone());
    for n in 0..seconds * per_s {
        // 64-bit keys, as the server's were.
        let _ = network.check_key(&n.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        let _ = address.check_key(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        clock.advance(step);
        if (n + 1).is_multiple_of(every) {
            network.retain_recent();
            address.retain_recent();
        }
    }
    let theirs_keys = network.len() + address.len();
    let theirs = HELD.load(Ordering::Relaxed).saturating_sub(before);
    let theirs_peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    drop((network, address));
    PEAK.fetch_max(peak_before, Ordering::Relaxed);

    let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
    let checks = (seconds * per_s) as f64;
    println!(
        "{:>10.0} checks/s  {keys} keys in {:.1} MB (peak {:.1} MB), {held_back} held; governor's store: {theirs_keys} keys in {:.1} MB (peak {:.1} MB)",
        checks / took.as_secs_f64(),
        mb(bytes),
        mb(peak),
        mb(theirs),
        mb(theirs_peak)
    );
    Row {
        db: "-",
        name: format!("signing limits' memory at {per_s} signatures/s, each from a new network and address"),
        requests_per_s: checks / took.as_secs_f64(),
        p50_ms: None,
        p99_ms: None,
        errors: held_back,
        requests: seconds * per_s,
        ratio_to_healthz: None,
        peak_rss_mb: mb(peak),
        rss_growth_mb: mb(bytes),
        target: format!(
            "<= {LIMITS_BUDGET_MB} MB held by the limits (the memory columns: bytes allocated, not RSS); none held"
        ),
        met: Some(mb(peak) <= LIMITS_BUDGET_MB && held_back == 0),
        // A held signature here is a new key taken for a live one: rare by design (see
        // `limits::store`), a missed target rather than a wrong answer.
        correct: true,
        note: format!(
            "{seconds} simulated seconds in {:.2} s (the rate column: checks/s); {keys} keys at the end, {:.1} bytes a key; governor's keyed store: {theirs_keys} keys, {:.1} MB (peak {:.1} MB)",
            took.as_secs_f64(),
            bytes as f64 / keys.max(1) as f64,
            mb(theirs),
            mb(theirs_peak)
        ),
    }
}

/// A database made for one bench run and removed afterwards.
enum BenchDb {
    Sqlite { path: PathBuf },
    Postgres { admin: String, name: String },
}

impl BenchDb {
    async fn create(db: Db) -> Result<Self, String> {
        Self::create_named(db, "").await
    }

    /// [`BenchDb::create`], with `tag` in its name, for a second database beside the first.
    async fn create_named(db: Db, tag: &str) -> Result<Self, String> {
        let id = format!("{}{tag}", std::process::id());
        let made = match db {
            Db::Sqlite => {
                Self::Sqlite { path: std::env::temp_dir().join(format!("undersigned-bench-{id}.db")) }
            }
            Db::Postgres => Self::Postgres {
                admin: std::env::var("BENCH_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
                name: format!("undersigned_bench_{id}"),
            },
        };
        made.remove().await?;
        if let Self::Postgres { admin, name } = &made {
            let conn = SeaDatabase::connect(admin).await.map_err(|e| format!("{admin}: {e}"))?;
            conn.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .map_err(|e| e.to_string())?;
            let _ = conn.close().await;
        }
        Ok(made)
    }

    fn url(&self) -> Result<String, String> {
        match self {
            Self::Sqlite { path } => Ok(format!("sqlite://{}?mode=rwc", path.display())),
            Self::Postgres { admin, name } => {
                let mut url = url::Url::parse(admin).map_err(|e| e.to_string())?;
                url.set_path(name);
                Ok(url.to_string())
            }
        }
    }

    async fn remove(&self) -> Result<(), String> {
        match self {
            Self::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Self::Postgres { admin, name } => {
                let conn = SeaDatabase::connect(admin).await.map_err(|e| format!("{admin}: {e}"))?;
                conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = conn.close().await;
            }
        }
        Ok(())
    }
}

/// The server process and a sampler of its resident memory.
struct Server {
    child: Child,
    base: String,
    rss: RssSampler,
    /// The issued-at token of the signing form this server serves, which the signing scripts
    /// send back as a browser would (every signer the same form: it is the second the form was
    /// served in, signed, and nothing about the signer); empty from a build without one.
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(url: &str) -> Result<Server, String> {
    start_server_with(url, &[])
}

/// [`start_server`], with `settings` in its environment as well.
fn start_server_with(url: &str, settings: &[(&str, &str)]) -> Result<Server, String> {
    start_binary(Path::new(SERVER), url, settings)
}

/// Starts `binary serve` on `url`, with `settings` in its environment, and waits until its
/// signing form's token may be sent back.
fn start_binary(binary: &Path, url: &str, settings: &[(&str, &str)]) -> Result<Server, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = Command::new(binary)
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        // The webhook rows deliver to a receiver on loopback.
        .env("WEBHOOK_ALLOW_PRIVATE", "true")
        // wrk is the proxy: each signer comes from the address it names.
        .env("TRUSTED_PROXIES", "127.0.0.1")
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let rss = RssSampler::start(child.id());
    let base = format!("127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(&base).is_ok() {
            let token = form_token(&base);
            if !token.is_empty() {
                // A form sent back sooner than two seconds after it was served is held.
                std::thread::sleep(Duration::from_millis(2100));
            }
            return Ok(Server { child, base: format!("http://{base}"), rss, token });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("the server did not start".into())
}

/// The form token on `/p/{SLUG}` at `host` (empty if there is no such page or no token).
fn form_token(host: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(host) else { return String::new() };
    let request = format!("GET /p/{SLUG} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n");
    let mut page = String::new();
    if s.write_all(request.as_bytes()).is_err() || s.read_to_string(&mut page).is_err() {
        return String::new();
    }
    let marker = "name=\"form_token\" value=\"";
    page.find(marker)
        .map(|at| page[at + marker.len()..].chars().take_while(|c| *c != '"').collect())
        .unwrap_or_default()
}

/// Samples a process's VmRSS every 10 ms; `window()` returns (start, peak) since the last call.
struct RssSampler {
    peak_kb: Arc<AtomicU64>,
    current_kb: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let peak_kb = Arc::new(AtomicU64::new(0));
        let current_kb = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, c, s) = (peak_kb.clone(), current_kb.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let Some(kb) = rss_kb(pid) else { break };
                c.store(kb, Ordering::Relaxed);
                p.fetch_max(kb, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Self { peak_kb, current_kb, stop }
    }

    /// Resets the peak to the current value and returns the current value (MB).
    fn begin(&self) -> f64 {
        let now = self.current_kb.load(Ordering::Relaxed);
        self.peak_kb.store(now, Ordering::Relaxed);
        now as f64 / 1024.0
    }

    fn peak_mb(&self) -> f64 {
        self.peak_kb.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What wrk's `done()` hook prints.
#[derive(Debug, Default, serde::Deserialize)]
struct WrkResult {
    requests: u64,
    duration_us: u64,
    errors: u64,
    p50_us: f64,
    p99_us: f64,
}

const WRK_DONE: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%f,"p99_us":%f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"#;

fn wrk(o: &Options, url: &str, script: &str) -> Result<WrkResult, String> {
    wrk_for(o, o.duration, url, script)
}

/// Requests per second of a load.
fn rate(r: &WrkResult) -> f64 {
    r.requests as f64 / (r.duration_us.max(1) as f64 / 1e6)
}

/// Two loads of the same route as one: requests and time added, p50 averaged, the worse p99.
fn combined(a: WrkResult, b: WrkResult) -> WrkResult {
    WrkResult {
        requests: a.requests + b.requests,
        duration_us: a.duration_us + b.duration_us,
        errors: a.errors + b.errors,
        p50_us: (a.p50_us + b.p50_us) / 2.0,
        p99_us: a.p99_us.max(b.p99_us),
    }
}

fn wrk_for(o: &Options, seconds: u64, url: &str, script: &str) -> Result<WrkResult, String> {
    // Two loads may run at once (the dashboard while signing): each has its own script file.
    static SCRIPTS: AtomicU64 = AtomicU64::new(0);
    let n = SCRIPTS.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("undersigned-bench-{}-{n}.lua", std::process::id()));
    std::fs::write(&path, format!("{script}\n{WRK_DONE}")).map_err(|e| e.to_string())?;
    let out = Command::new("wrk")
        .args(["-t2", &format!("-c{}", o.connections), &format!("-d{seconds}s"), "--timeout", "5s"])
        .arg("-s")
        .arg(&path)
        .arg(url)
        .output()
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRK_JSON "))
        .ok_or_else(|| format!("wrk said: {stdout}"))?;
    serde_json::from_str(line).map_err(|e| e.to_string())
}

/// A wrk script that signs with a new email on every request, each from a network of its own
/// (the server believes loopback's `X-Forwarded-For`): the signing limits are on, and no
/// signature goes over them. `extra` is appended to the form (`&name=value…`), and `server`'s
/// form token.
fn sign_script(server: &Server, run: &str, extra: &str) -> String {
    let token = &server.token;
    // Each script's networks are its own too (a network may sign once a minute).
    static SCRIPTS: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(1);
    let net = SCRIPTS.fetch_add(1, Ordering::Relaxed);
    let extra = format!("{extra}&form_token={token}");
    format!(
        r#"
local counter = 0
local threads = 0
setup = function(thread) thread:set("tid", threads); threads = threads + 1 end
request = function()
  counter = counter + 1
  local ip = string.format("fd%02x:%x:%x:%x::1", tid, {net}, math.floor(counter / 65536), counter % 65536)
  local body = "given_name=Load&family_name=Test&postal_code=94110&utm_source=bench{extra}&email=b{run}-" .. tid .. "-" .. counter .. "%40gmail.com"
  return wrk.format("POST", "/p/{SLUG}/sign", {{["Content-Type"] = "application/x-www-form-urlencoded", ["X-Forwarded-For"] = ip}}, body)
end
"#
    )
}

/// Validated signature rows and the sum of the tallies, read in one statement.
async fn rows_and_count(conn: &DatabaseConnection) -> Result<(i64, i64), String> {
    let sql = "SELECT (SELECT COUNT(*) FROM signatures WHERE status = 'validated') AS n, \
               (SELECT CAST(COALESCE(SUM(validated), 0) AS BIGINT) FROM petition_tallies) AS tally";
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned()))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row")?;
    Ok((
        row.try_get("", "n").map_err(|e| e.to_string())?,
        row.try_get("", "tally").map_err(|e| e.to_string())?,
    ))
}

async fn query_i64(conn: &DatabaseConnection, sql: &str) -> Result<i64, String> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql.to_owned()))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row")?;
    row.try_get::<i64>("", "n").map_err(|e| e.to_string())
}

/// `--compare`: signing alone, by this build's server and by `other` (another build's binary,
/// such as an older commit's), each on a database of its own, in rounds of A B B A so that the
/// machine's drift falls on both alike.
async fn compare(db: Db, o: &Options, other: &Path) -> Result<Vec<Row>, String> {
    println!("\n== {}: signing, this build against {} ==", db.name(), other.display());
    let this_db = BenchDb::create(db).await?;
    let result = match BenchDb::create_named(db, "_other").await {
        Ok(other_db) => {
            let result = match (this_db.url(), other_db.url()) {
                (Ok(a), Ok(b)) => compare_on(db, o, other, (&a, &b)).await,
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
            if let Err(e) = other_db.remove().await {
                eprintln!("warning: could not remove a bench database: {e}");
            }
            result
        }
        Err(e) => Err(e),
    };
    if let Err(e) = this_db.remove().await {
        eprintln!("warning: could not remove a bench database: {e}");
    }
    result
}

/// [`compare`] on the two databases' `urls` (this build's first).
async fn compare_on(db: Db, o: &Options, other: &Path, urls: (&str, &str)) -> Result<Vec<Row>, String> {
    let builds = [(Path::new(SERVER), urls.0), (other, urls.1)];
    let mut servers = Vec::new();
    let mut conns = Vec::new();
    // Validated signatures before the loads: each acknowledged signature must add one.
    let mut validated_before = [0_i64; 2];
    for (which, (binary, url)) in builds.into_iter().enumerate() {
        demo(binary, url)?;
        servers.push(start_binary(binary, url, &[])?);
        let conn = SeaDatabase::connect(url).await.map_err(|e| e.to_string())?;
        validated_before[which] = rows_and_count(&conn).await?.0;
        conns.push(conn);
    }
    // Per build and load: the rate, the server's CPU time per signature, p50 and p99.
    let mut rates: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut cpu: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    // On PostgreSQL, the database's CPU time per signature too: its share of the machine.
    let mut db_cpu: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut p50s: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let mut p99s: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let (mut requests, mut errors) = ([0_u64; 2], [0_u64; 2]);
    let mut peaks = [0.0_f64; 2];
    let mut starts: [Option<f64>; 2] = [None, None];
    let mut n = 0;
    for round in 1..=o.rounds {
        print!("round {round}: ");
        for which in [0, 1, 1, 0] {
            let server = &servers[which];
            n += 1;
            let script = sign_script(server, &format!("{}c{n}", std::process::id()), "");
            let start = server.rss.begin();
            starts[which].get_or_insert(start);
            let before = cpu_seconds(server.child.id())?;
            let db_before = database_cpu_seconds(db);
            let r = wrk(o, &format!("{}/p/{SLUG}/sign", server.base), &script)?;
            let used = cpu_seconds(server.child.id())? - before;
            // A database process that ended during the load took its time with it: no figure
            // rather than too small a one.
            if let (Some(b), Some(a)) = (db_before, database_cpu_seconds(db))
                && a >= b
            {
                db_cpu[which].push((a - b) * 1e6 / r.requests.max(1) as f64);
            }
            peaks[which] = peaks[which].max(server.rss.peak_mb());
            print!("{} {:.0}/s  ", ["this", "other"][which], rate(&r));
            rates[which].push(rate(&r));
            cpu[which].push(used * 1e6 / r.requests.max(1) as f64);
            p50s[which].push(r.p50_us / 1000.0);
            p99s[which].push(r.p99_us / 1000.0);
            requests[which] += r.requests;
            errors[which] += r.errors;
        }
        println!();
    }
    // Let the writers commit what was in flight when wrk stopped.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Every acknowledged signature counted (none held, say by a token the server did not take),
    // and at most the requests still in flight at the end of each load besides.
    let loads_each = u64::from(o.rounds) * 2;
    let mut correct = [false; 2];
    let mut notes = [String::new(), String::new()];
    for (which, conn) in conns.iter().enumerate() {
        let (stored, count) = rows_and_count(conn).await?;
        let added = stored - validated_before[which];
        correct[which] = stored == count
            && errors[which] == 0
            && all_counted(added, requests[which], loads_each, o.connections);
        notes[which] = format!("{added} validated signatures added for {} acknowledged", requests[which]);
    }
    for conn in conns {
        let _ = conn.close().await;
    }
    drop(servers);
    let ratio = median(&rates[0]) / median(&rates[1]).max(1e-9);
    let mut rows = Vec::new();
    for (which, name) in ["this build", "the other build"].into_iter().enumerate() {
        rows.push(Row {
            db: db.name(),
            name: format!("POST /p/{{slug}}/sign, {name}"),
            requests_per_s: median(&rates[which]),
            p50_ms: Some(median(&p50s[which])),
            p99_ms: p99s[which].iter().copied().reduce(f64::max),
            errors: errors[which],
            requests: requests[which],
            ratio_to_healthz: None,
            peak_rss_mb: peaks[which],
            rss_growth_mb: peaks[which] - starts[which].unwrap_or(peaks[which]),
            target: if which == 0 { "median >= 90% of the other build's median".into() } else { "-".into() },
            met: (which == 0).then_some(ratio >= 0.9 && correct[0]),
            correct: correct[which],
            note: format!(
                "median of {} loads of {} s (A B B A rounds; p50: their median, p99: the worst); server CPU {:.0} us a signature (median){}; {}{}",
                rates[which].len(),
                o.duration,
                median(&cpu[which]),
                if db_cpu[which].is_empty() {
                    String::new()
                } else {
                    format!(", database CPU {:.0} us", median(&db_cpu[which]))
                },
                notes[which],
                if which == 0 { format!("; {:.0}% of the other build", ratio * 100.0) } else { String::new() },
            ),
        });
    }
    Ok(rows)
}

/// Whether signing counted every acknowledged signature: `added` validated rows for
/// `acknowledged` answers over `loads` loads of `connections` each, at most one request in flight
/// per connection when a load stopped besides. A held signature (a form token the server did not
/// take, say) is stored but not validated, and would leave rows and count equal without this.
fn all_counted(added: i64, acknowledged: u64, loads: u64, connections: u32) -> bool {
    let added = u64::try_from(added).unwrap_or(0);
    added >= acknowledged && added <= acknowledged + loads * u64::from(connections)
}

/// The middle value (the mean of the middle two of an even count).
fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// CPU time a process has used, user and system, in seconds (Linux counts it in hundredths).
fn cpu_seconds(pid: u32) -> Result<f64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).ok_or("an unreadable /proc stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks =
        |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).ok_or("an unreadable /proc stat");
    // utime and stime are the 14th and 15th fields; `rest` starts at the 3rd.
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// CPU time used so far by the local PostgreSQL's processes (every one named `postgres` this
/// user may read), in seconds: over one load, the database's work for it, since only one
/// server is loaded at a time. `None` on SQLite, whose work is the server's own, or when no
/// such process can be read (a database on another machine).
fn database_cpu_seconds(db: Db) -> Option<f64> {
    if !matches!(db, Db::Postgres) {
        return None;
    }
    let mut total = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else { continue };
        if comm.trim() == "postgres"
            && let Ok(seconds) = cpu_seconds(pid)
        {
            *total.get_or_insert(0.0) += seconds;
        }
    }
    total
}

async fn run_db(db: Db, o: &Options) -> Result<Vec<Row>, String> {
    println!("\n== {} ==", db.name());
    let bench_db = BenchDb::create(db).await?;
    let result = measure(db, o, &bench_db.url()?).await;
    if let Err(e) = bench_db.remove().await {
        eprintln!("warning: could not remove the bench database: {e}");
    }
    result
}

/// Seeds the database at `url` with `binary demo` (the campaigns the loads use).
fn demo(binary: &Path, url: &str) -> Result<(), String> {
    let demo = Command::new(binary)
        .arg("demo")
        .env("DATABASE_URL", url)
        .output()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    if !demo.status.success() {
        return Err(format!("{} demo failed: {}", binary.display(), String::from_utf8_lossy(&demo.stderr)));
    }
    Ok(())
}

async fn measure(db: Db, o: &Options, url: &str) -> Result<Vec<Row>, String> {
    demo(Path::new(SERVER), url)?;
    let server = start_server(url)?;
    let conn = SeaDatabase::connect(url).await.map_err(|e| e.to_string())?;
    // The demo's validated signatures: each acknowledged signature must add one to them.
    let validated_before = rows_and_count(&conn).await?.0;
    let mut rows: Vec<Row> = Vec::new();
    let mut baseline = None;
    let run = format!("{}", std::process::id());
    let routes: [(&str, String, String); 8] = [
        ("GET /healthz", "/healthz".into(), String::new()),
        ("GET /p/{slug}", format!("/p/{SLUG}"), String::new()),
        ("GET /p/{slug}/count.json", format!("/p/{SLUG}/count.json"), String::new()),
        // As a phone's browser: a visit by a person is counted, a client without a User-Agent not.
        ("GET /a/{landing}", format!("/a/{LANDING}"), BROWSER.into()),
        ("GET /q/{code}", format!("/q/{POSTER}"), BROWSER.into()),
        // A signer's share button: counted, then sent on to the network.
        ("GET /p/{slug}/share/{network}", format!("/p/{SLUG}/share/whatsapp?ref=Bench12345"), BROWSER.into()),
        ("POST /p/{slug}/sign", format!("/p/{SLUG}/sign"), sign_script(&server, &run, "")),
        (
            "POST /p/{slug}/sign from /a/{landing}",
            format!("/p/{SLUG}/sign"),
            sign_script(
                &server,
                &format!("{run}l"),
                &format!("&landing_page={LANDING}&source=meta&via={LANDING}"),
            ),
        ),
    ];
    let mut sign_rate = None;
    // Signing grows the table, which slows the next load a little: the two signing rows run in
    // the order A B B A, half their time each, so that neither runs only on the larger table.
    let mut signed_from_landing = None;
    let mut sign_rss = None;
    // Signatures acknowledged by the four signing loads.
    let mut acknowledged = 0;
    let half = (o.duration / 2).max(1);
    // The /healthz rate measured alongside the route, when it was.
    let mut beside = None;
    for (name, path, script) in &routes {
        let name = *name;
        let start_rss = match (name, sign_rss) {
            ("POST /p/{slug}/sign from /a/{landing}", Some(rss)) => rss,
            _ => server.rss.begin(),
        };
        print!("{name:<38} ");
        let url = format!("{}{path}", server.base);
        let r = match name {
            "POST /p/{slug}/sign" => {
                let (_, landing_path, landing_script) = &routes[7];
                let landing_url = format!("{}{landing_path}", server.base);
                let a = wrk_for(o, half, &url, script)?;
                let b = wrk_for(o, half, &landing_url, landing_script)?;
                // New signers (and networks) for the second halves.
                let landing_again = sign_script(
                    &server,
                    &format!("{run}l2"),
                    &format!("&landing_page={LANDING}&source=meta&via={LANDING}"),
                );
                let b2 = wrk_for(o, half, &landing_url, &landing_again)?;
                let a2 = wrk_for(o, half, &url, &sign_script(&server, &format!("{run}2"), ""))?;
                acknowledged = a.requests + b.requests + b2.requests + a2.requests;
                signed_from_landing = Some(combined(b, b2));
                sign_rss = Some(start_rss);
                combined(a, a2)
            }
            "POST /p/{slug}/sign from /a/{landing}" => {
                signed_from_landing.take().ok_or("no landing sign load")?
            }
            "GET /healthz" => wrk(o, &url, script)?,
            _ => {
                // A page's target is a share of /healthz, and this machine's speed drifts over
                // seconds: the page and /healthz are measured alternately in short slices, and
                // the page is compared with the /healthz measured beside it.
                let healthz = format!("{}/healthz", server.base);
                let slice = (o.duration / 4).max(1);
                let (mut page, mut base): (Option<WrkResult>, Option<WrkResult>) = (None, None);
                for _ in 0..4 {
                    let h = wrk_for(o, slice, &healthz, "")?;
                    let p = wrk_for(o, slice, &url, script)?;
                    base = Some(match base.take() {
                        Some(b) => combined(b, h),
                        None => h,
                    });
                    page = Some(match page.take() {
                        Some(a) => combined(a, p),
                        None => p,
                    });
                }
                beside = base.as_ref().map(rate);
                page.ok_or("no page load")?
            }
        };
        let rps = rate(&r);
        if name == "GET /healthz" {
            baseline = Some(rps);
        }
        let ratio = beside.take().or(baseline).map(|b| rps / b);
        let peak = server.rss.peak_mb();
        let mut agree = true;
        let (target, met, note) = match name {
            "GET /healthz" => ("baseline".into(), None, String::new()),
            "GET /p/{slug}" => (">= 50% of /healthz".into(), ratio.map(|x| x >= 0.5), String::new()),
            "GET /p/{slug}/count.json" => {
                (">= 70% of /healthz".into(), ratio.map(|x| x >= 0.7), String::new())
            }
            "GET /a/{landing}" | "GET /q/{code}" => {
                (">= 85% of /healthz".into(), ratio.map(|x| x >= 0.85), String::new())
            }
            "GET /p/{slug}/share/{network}" => {
                (">= 80% of /healthz".into(), ratio.map(|x| x >= 0.8), String::new())
            }
            _ => {
                let floor = if db == Db::Sqlite { 10_000.0 } else { 3_000.0 };
                // Let the last in-flight signatures commit, then read both in one statement so
                // they come from one snapshot.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let (stored, tally) = rows_and_count(&conn).await?;
                let added = stored - validated_before;
                agree = stored == tally && all_counted(added, acknowledged, 4, o.connections);
                let ok = rps >= floor && r.p99_us <= 30_000.0 && r.errors == 0 && agree;
                // Signing from a landing page is no slower than on the petition page (within
                // run-to-run noise).
                let (landing_target, as_fast) = match sign_rate {
                    Some(plain) => (", >= 90% of /p/{slug}/sign", rps >= 0.9 * plain),
                    None => ("", true),
                };
                sign_rate.get_or_insert(rps);
                (
                    format!(
                        ">= {floor} /s, p99 <= 30 ms, 0 errors, count = rows, every acknowledged signature counted{landing_target}"
                    ),
                    Some(ok && as_fast),
                    format!(
                        "rows {stored}, count {tally}; {added} validated for {acknowledged} acknowledged{}",
                        if agree { "" } else { " MISMATCH" }
                    ),
                )
            }
        };
        let row = Row {
            db: db.name(),
            name: name.into(),
            requests_per_s: rps,
            p50_ms: Some(r.p50_us / 1000.0),
            p99_ms: Some(r.p99_us / 1000.0),
            errors: r.errors,
            requests: r.requests,
            ratio_to_healthz: ratio,
            peak_rss_mb: peak,
            rss_growth_mb: peak - start_rss,
            met: met.map(|m| m && peak <= 64.0),
            target: format!("{target}; RSS <= 64 MB"),
            correct: r.errors == 0 && agree,
            note,
        };
        println!(
            "{:>10.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  RSS {:.1} MB",
            rps,
            r.p50_us / 1000.0,
            r.p99_us / 1000.0,
            r.errors,
            peak
        );
        rows.push(row);
    }
    rows.append(&mut webhooks(db, o, url, &server, &conn).await?);
    drop(server);
    // Many sources, as a crowd would come (the bound on connections and memory), and one, as a
    // single attacker would (the bound per address: the others are not kept waiting).
    rows.push(slow_clients(db, o, url, SLOW_SOURCES).await?);
    rows.push(slow_clients(db, o, url, 1).await?);

    rows.push(export(db, o, url, &conn).await?);
    rows.push(packet(db, url, &conn).await?);
    rows.append(&mut scale(db, o, url, &conn).await?);
    let _ = conn.close().await;
    Ok(rows)
}

/// Slow clients held open at once: half send a request head a byte at a time, half send a
/// head and then a body a byte at a time (3,000 in all; 300 in a smoke run).
const SLOW_CLIENTS: usize = 3_000;

/// Loopback addresses the slow clients are spread over in the crowd's row (127.0.0.2 and on;
/// the ordinary requests come from 127.0.0.1): fewer than `MAX_CONNECTIONS_PER_ADDRESS` each.
const SLOW_SOURCES: u8 = 60;

/// The loopback address the ordinary requests beside the slow clients come from: not a trusted
/// proxy, so bound per address as any client is.
const PROBE_SOURCE: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 250);

/// Slow-loris: [`SLOW_CLIENTS`] connections from `sources` loopback addresses, dribbling heads
/// and bodies for 20 s (5 s in a smoke run), while one ordinary request a second asks for
/// `/healthz` on a connection of its own, from an address of its own ([`PROBE_SOURCE`]). The
/// server's memory must stay bounded, and every ordinary request must be answered; from one
/// address, within a second, with the slow connections past the bound refused (that server
/// serves 256 connections, so that a smoke run's 300 reach its bound too). A server of its own, so that its
/// memory is what the slow clients cost.
async fn slow_clients(db: Db, o: &Options, url: &str, sources: u8) -> Result<Row, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let one = sources == 1;
    let server = &start_server_with(url, if one { &[("MAX_CONNECTIONS", "256")] } else { &[] })?;
    let from = if one { "one address".to_owned() } else { format!("{sources} addresses") };
    print!("{:<38} ", format!("slow clients from {from}"));
    let n = if o.smoke { SLOW_CLIENTS / 10 } else { SLOW_CLIENTS };
    let hold = Duration::from_secs(if o.smoke { 5 } else { 20 });
    let host = server.base.trim_start_matches("http://").to_owned();
    let start_rss = server.rss.begin();
    let started = Instant::now();
    let server_addr: std::net::SocketAddr = host.parse().map_err(|e| format!("{host}: {e}"))?;
    // Ordinary requests, one a second, each timed until its answer (or 60 s).
    let probes = {
        let host = server_addr;
        tokio::spawn(async move {
            let mut waits = Vec::new();
            let mut answered = 0u64;
            let mut asked = 0u64;
            let mut tasks = Vec::new();
            while started.elapsed() < hold {
                asked += 1;
                tasks.push(tokio::spawn(async move {
                    let begun = Instant::now();
                    let ask = async {
                        let socket = tokio::net::TcpSocket::new_v4().ok()?;
                        socket.bind((PROBE_SOURCE, 0).into()).ok()?;
                        let mut s = socket.connect(host).await.ok()?;
                        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
                            .await
                            .ok()?;
                        let mut out = Vec::new();
                        s.read_to_end(&mut out).await.ok()?;
                        out.starts_with(b"HTTP/1.1 200").then_some(())
                    };
                    tokio::time::timeout(Duration::from_secs(60), ask)
                        .await
                        .ok()
                        .flatten()
                        .map(|()| begun.elapsed())
                }));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            for t in tasks {
                if let Ok(Some(wait)) = t.await {
                    answered += 1;
                    waits.push(wait);
                }
            }
            (asked, answered, waits)
        })
    };
    let mut slow = Vec::with_capacity(n);
    for i in 0..n {
        let last = u8::try_from(i % usize::from(sources)).map_err(|e| e.to_string())?;
        let source = std::net::Ipv4Addr::new(127, 0, 0, 2 + last);
        let Ok(socket) = tokio::net::TcpSocket::new_v4() else { continue };
        socket.bind((source, 0).into()).map_err(|e| format!("binding to {source}: {e}"))?;
        let Ok(mut s) = socket.connect(server_addr).await else { continue };
        let head: &[u8] = if i % 2 == 0 {
            b"GET /p/safe-staffing HTTP/1.1\r\nHost: bench\r\n"
        } else {
            b"POST /p/safe-staffing/sign HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\ngiven_name="
        };
        if s.write_all(head).await.is_ok() {
            slow.push(s);
        }
    }
    let opened = slow.len();
    // A byte every two seconds on each until the time is up (a write that fails, to one the
    // server closed, lets it go). One the server answered with 429 is counted as refused.
    let mut refused = 0usize;
    let mut answer = [0u8; 64];
    while started.elapsed() < hold {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut still = Vec::with_capacity(slow.len());
        for mut s in slow {
            match s.try_read(&mut answer) {
                Ok(n) if answer[..n].starts_with(b"HTTP/1.1 429") => {
                    refused += 1;
                    continue;
                }
                Ok(_) => continue,
                Err(_) => {}
            }
            if matches!(tokio::time::timeout(Duration::from_millis(50), s.write_all(b"a")).await, Ok(Ok(())))
            {
                still.push(s);
            }
        }
        slow = still;
    }
    drop(slow);
    let (asked, answered, mut waits) = probes.await.map_err(|e| e.to_string())?;
    waits.sort();
    let ms = |d: Option<&Duration>| d.map(|d| d.as_secs_f64() * 1000.0);
    let p50 = ms(waits.get(waits.len() / 2));
    let p99 = ms(waits.get((waits.len() * 99 / 100).min(waits.len().saturating_sub(1))));
    let peak = server.rss.peak_mb();
    let all_answered = answered == asked && asked > 0;
    // From one address, the bound per address keeps the queue clear for everyone else.
    let (target, quick) = if one {
        (
            "RSS <= 64 MB; slow connections past the bound refused; every other request answered, p99 <= 1 s (latencies: theirs)",
            refused > 0 && p99.is_some_and(|p| p <= 1000.0),
        )
    } else {
        ("RSS <= 64 MB; every other request answered (latencies: theirs)", true)
    };
    println!(
        "{opened} opened, {refused} refused, held {} s; {answered}/{asked} others answered, p99 {:.0} ms  RSS {peak:.1} MB",
        hold.as_secs(),
        p99.unwrap_or(0.0)
    );
    Ok(Row {
        db: db.name(),
        name: format!("{n} slow clients from {from}"),
        requests_per_s: answered as f64 / started.elapsed().as_secs_f64(),
        p50_ms: p50,
        p99_ms: p99,
        errors: asked - answered,
        requests: asked,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: peak - start_rss,
        target: target.into(),
        met: Some(all_answered && quick && peak <= 64.0),
        correct: all_answered,
        note: format!(
            "{opened} slow connections opened from {from} ({refused} refused with 429) and fed a byte every 2 s for {} s; the others' latencies are the p50 and p99 columns",
            hold.as_secs()
        ),
    })
}

/// Petitions in the dataset at scale, and signatures on each (a tenth of the export's rows
/// each, so 1,000,000 in all by default).
const SCALE_PETITIONS: u64 = 10;

/// At scale: 1,000,000 signatures over 10 petitions (the export's row count, spread over 30
/// days, five sources and a thousand postal codes), their aggregates made by the migration that
/// asks for it, then the dashboard of one of them loaded while signing goes on, and the API's
/// signature pages read from the first to the last.
async fn scale(db: Db, o: &Options, url: &str, conn: &DatabaseConnection) -> Result<Vec<Row>, String> {
    let per = (o.export_rows / SCALE_PETITIONS).max(1);
    print!("{:<38} ", format!("seed {} x {per} signatures", SCALE_PETITIONS));
    let started = Instant::now();
    seed_scale(db, per, conn).await?;
    conn.execute_unprepared("INSERT INTO settings (key, value) VALUES ('rebuild_signature_counts', '1')")
        .await
        .map_err(|e| e.to_string())?;
    let seeded = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let migrate =
        Command::new(SERVER).arg("migrate").env("DATABASE_URL", url).output().map_err(|e| e.to_string())?;
    if !migrate.status.success() {
        return Err(format!("migrate failed: {}", String::from_utf8_lossy(&migrate.stderr)));
    }
    let rebuilt = started.elapsed().as_secs_f64();
    println!("seeded in {seeded:.1} s; aggregates made in {rebuilt:.1} s");
    let sum = query_i64(conn, "SELECT CAST(SUM(signatures) AS BIGINT) AS n FROM signature_counts WHERE petition_id IN (SELECT id FROM petitions WHERE slug LIKE 'scale-%')").await?;
    let expected = i64::try_from(per * SCALE_PETITIONS).unwrap_or(i64::MAX);

    let server = start_server(url)?;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let cookie = sign_in(&client, &jar, url, &server.base).await?;
    let pid = query_i64(conn, "SELECT id AS n FROM petitions WHERE slug = 'scale-1'").await?;
    let dashboard = format!("{}/admin/campaigns/{pid}/dashboard", server.base);
    let page = client.get(&dashboard).send().await.map_err(|e| e.to_string())?;
    let page_ok = page.status().is_success()
        && page
            .text()
            .await
            .map_err(|e| e.to_string())?
            .contains(&format!("<span class=\"figure\">{per}</span>"));

    // The dashboard, four at a time, while 64 connections sign another petition.
    print!("{:<38} ", "GET dashboard at scale, while signing");
    let start_rss = server.rss.begin();
    let signing = {
        let o = Options { dbs: vec![db], export_rows: 0, ..o.clone() };
        let url = format!("{}/p/{SLUG}/sign", server.base);
        let script = sign_script(&server, &format!("{}s", std::process::id()), "");
        std::thread::spawn(move || wrk_for(&o, o.duration, &url, &script))
    };
    let few = Options { dbs: vec![db], connections: 4, export_rows: 0, ..o.clone() };
    let script = format!(r#"wrk.headers["Cookie"] = "{cookie}""#);
    let dash = wrk_for(&few, o.duration, &dashboard, &script)?;
    let signed = signing.join().map_err(|_| "the signing load panicked".to_owned())??;
    let peak = server.rss.peak_mb();
    println!(
        "{:>10.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  (signing meanwhile {:.0}/s)",
        rate(&dash),
        dash.p50_us / 1000.0,
        dash.p99_us / 1000.0,
        dash.errors,
        rate(&signed)
    );
    let dash_ok = dash.errors == 0 && page_ok && sum == expected;
    let mut rows = vec![Row {
        db: db.name(),
        name: format!("GET dashboard at {} signatures, while signing", per * SCALE_PETITIONS),
        requests_per_s: rate(&dash),
        p50_ms: Some(dash.p50_us / 1000.0),
        p99_ms: Some(dash.p99_us / 1000.0),
        errors: dash.errors,
        requests: dash.requests,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: peak - start_rss,
        target: "p99 < 200 ms while signing; RSS <= 64 MB".into(),
        met: Some(dash_ok && dash.p99_us < 200_000.0 && peak <= 64.0),
        correct: dash_ok,
        note: format!(
            "{SCALE_PETITIONS} petitions x {per}; aggregates sum {sum} (expected {expected}), made from the signatures in {rebuilt:.1} s; signing meanwhile {:.0}/s, p99 {:.1} ms",
            rate(&signed),
            signed.p99_us / 1000.0
        ),
    }];

    // The API: every page of one petition's signatures, 1,000 a page, following the cursors;
    // then the first five and the last five pages timed again, alternately, three times each
    // (this machine's speed drifts over seconds, as the pages' rows note).
    print!("{:<38} ", "API signature pages, first to last");
    let start_rss = server.rss.begin();
    let token = api_token(url)?;
    let mut next = Some(format!("{}/api/v1/petitions/scale-1/signatures?limit=1000", server.base));
    let mut pages: Vec<String> = Vec::new();
    let mut got = 0u64;
    let mut failed = 0u64;
    let walk = Instant::now();
    while let Some(page_url) = next.take() {
        let res = client.get(&page_url).bearer_auth(&token).send().await.map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            failed += 1;
            break;
        }
        let body: serde_json::Value = res.json().await.map_err(|e| e.to_string())?;
        got += body["signatures"].as_array().map_or(0, |a| a.len() as u64);
        next = body["next"].as_str().map(|n| n.replacen("http://localhost:3000", &server.base, 1));
        pages.push(page_url);
    }
    let walked = walk.elapsed().as_secs_f64();
    let time = async |urls: &[String]| -> Result<f64, String> {
        let started = Instant::now();
        for u in urls {
            let res = client.get(u).bearer_auth(&token).send().await.map_err(|e| e.to_string())?;
            res.bytes().await.map_err(|e| e.to_string())?;
        }
        Ok(started.elapsed().as_secs_f64() * 1000.0 / urls.len().max(1) as f64)
    };
    let head: Vec<String> = pages.iter().take(5).cloned().collect();
    let tail: Vec<String> = pages.iter().rev().take(5).cloned().collect();
    let (mut firsts, mut lasts) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        firsts.push(time(&head).await?);
        lasts.push(time(&tail).await?);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (first, last) = (median(&mut firsts), median(&mut lasts));
    let peak = server.rss.peak_mb();
    println!(
        "{} pages in {walked:.1} s; first five {first:.1} ms, last five {last:.1} ms a page",
        pages.len()
    );
    let pages_ok = failed == 0 && got == per;
    rows.push(Row {
        db: db.name(),
        name: "API signature pages (1,000 each), first to last".into(),
        requests_per_s: got as f64 / walked.max(1e-9),
        p50_ms: Some(first),
        p99_ms: Some(last),
        errors: failed,
        requests: pages.len() as u64,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: peak - start_rss,
        target: "the last pages no slower than 1.5x the first (no offset scans); RSS <= 64 MB".into(),
        met: Some(pages_ok && last <= first * 1.5 + 1.0 && peak <= 64.0),
        correct: pages_ok,
        note: format!(
            "{} pages of {got} signatures read in {walked:.1} s (the rate column: signatures/s); p50 column: a page of the first five, p99 column: a page of the last five (medians of three alternating rounds)",
            pages.len()
        ),
    });
    drop(server);
    Ok(rows)
}

/// Creates an admin on the command line, sets its password through its one-time link and
/// returns the session cookie (`name=value`).
async fn sign_in(
    client: &reqwest::Client,
    jar: &reqwest::cookie::Jar,
    url: &str,
    base: &str,
) -> Result<String, String> {
    use reqwest::cookie::CookieStore;
    let out = Command::new(SERVER)
        .args(["staff", "create", "--email", "bench@example.org", "--role", "admin"])
        .env("DATABASE_URL", url)
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/admin/password/"))
        .ok_or_else(|| format!("no link in: {text}"))?;
    let path = &link[link.find("/admin/password/").unwrap_or(0)..];
    let form = client.get(format!("{base}{path}")).send().await.map_err(|e| e.to_string())?;
    let html = form.text().await.map_err(|e| e.to_string())?;
    let csrf = html
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .ok_or("no CSRF field")?
        .to_owned();
    let password = "a long bench password 2026";
    let res = client
        .post(format!("{base}{path}"))
        .form(&[("password", password), ("password_again", password), ("csrf", &csrf)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if res.status() != reqwest::StatusCode::SEE_OTHER {
        return Err(format!("setting the password answered {}", res.status()));
    }
    let origin = reqwest::Url::parse(&format!("{base}/admin")).map_err(|e| e.to_string())?;
    let cookies = jar.cookies(&origin).ok_or("no session cookie")?;
    Ok(cookies.to_str().map_err(|e| e.to_string())?.to_owned())
}

/// A read token made with `undersigned token create`.
fn api_token(url: &str) -> Result<String, String> {
    let out = Command::new(SERVER)
        .args(["token", "create", "--name", "bench", "--scope", "read"])
        .env("DATABASE_URL", url)
        .output()
        .map_err(|e| e.to_string())?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with("us_"))
        .map(str::to_owned)
        .ok_or_else(|| "no token printed".into())
}

/// [`SCALE_PETITIONS`] petitions (`scale-1` …) with `per` signatures each from the same `per`
/// supporters, signed two seconds apart from 2026-01-01 (so over a month at 1,000,000), from five
/// sources and a thousand postal codes.
async fn seed_scale(db: Db, per: u64, conn: &DatabaseConnection) -> Result<(), String> {
    let exec =
        |sql: String| async move { conn.execute_unprepared(&sql).await.map(drop).map_err(|e| e.to_string()) };
    let now = "2026-01-01 00:00:00+00:00";
    let series = series(db, per);
    let text = |e: &str| match db {
        Db::Sqlite => e.to_owned(),
        Db::Postgres => format!("({e})::text"),
    };
    exec(format!(
        "INSERT INTO supporters (email_canonical, email, given_name, family_name, postal_code, created_at) \
         SELECT 'scale' || {i} || '@example.org', 'scale' || {i} || '@example.org', 'Given', 'Family', \
         '9' || {zip}, '{now}' FROM ({series}) q",
        i = text("i"),
        zip = text("(1000 + i % 1000)"),
    ))
    .await?;
    for k in 1..=SCALE_PETITIONS {
        exec(format!(
            "INSERT INTO petitions (slug, kind, status, locale, title, summary, body, goal, offline_count, postal_country, created_at, updated_at) \
             VALUES ('scale-{k}', 'petition', 'open', 'en', 'Scale {k}', 's', 'b', {goal}, 0, 'US', '{now}', '{now}')",
            goal = per * 2
        ))
        .await?;
        let pid = query_i64(conn, &format!("SELECT id AS n FROM petitions WHERE slug = 'scale-{k}'")).await?;
        let signed_at = match db {
            Db::Sqlite => format!(
                "strftime('%Y-%m-%d %H:%M:%S+00:00', 1767225600 + (id % {per}) * 2 + {k}, 'unixepoch')"
            ),
            Db::Postgres => format!("to_timestamp(1767225600 + (id % {per}) * 2 + {k})"),
        };
        let source = "CASE id % 5 WHEN 0 THEN 'meta' WHEN 1 THEN 'google' WHEN 2 THEN 'qr-station' WHEN 3 THEN 'share-whatsapp' ELSE NULL END";
        exec(format!(
            "INSERT INTO signatures (petition_id, supporter_id, status, given_name, family_name, email, postal_code, \
             email_opt_in, public_name, source, share_code, signed_at) \
             SELECT {pid}, id, 'validated', given_name, family_name, email, postal_code, {f}, {f}, {source}, \
             'k{k}x' || {id}, {signed_at} FROM supporters WHERE email_canonical LIKE 'scale%' ORDER BY id",
            f = if db == Db::Sqlite { "0" } else { "false" },
            id = text("id"),
        ))
        .await?;
        exec(format!(
            "INSERT INTO petition_tallies (petition_id, validated, version, updated_at) VALUES ({pid}, {per}, 1, '{now}')"
        ))
        .await?;
    }
    exec("ANALYZE".into()).await?;
    Ok(())
}

/// A local webhook endpoint on its own thread: counts what it gets and answers 204.
struct Receiver {
    url: String,
    got: Arc<AtomicU64>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Receiver {
    fn start() -> Result<Self, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let url = format!("http://{}/hook", listener.local_addr().map_err(|e| e.to_string())?);
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let got = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let counter = got.clone();
        let thread = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else { return };
                let app = axum::Router::new().route(
                    "/hook",
                    axum::routing::post(move |_body: axum::body::Bytes| {
                        counter.fetch_add(1, Ordering::Relaxed);
                        async { axum::http::StatusCode::NO_CONTENT }
                    }),
                );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Ok(Self { url, got, stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Webhooks: signing with an endpoint that wants every signature (its delivery written in the
/// signature's transaction) against signing without, in the order A B B A; then a burst of
/// signatures (100,000; 5,000 in a smoke run) and the time until every delivery has reached a
/// local receiver.
async fn webhooks(
    db: Db,
    o: &Options,
    url: &str,
    server: &Server,
    conn: &DatabaseConnection,
) -> Result<Vec<Row>, String> {
    let receiver = Receiver::start()?;
    let add = Command::new(SERVER)
        .args(["webhook", "add", "--url", &receiver.url, "--events", "signature.created"])
        .env("DATABASE_URL", url)
        .env("WEBHOOK_ALLOW_PRIVATE", "true")
        .output()
        .map_err(|e| e.to_string())?;
    if !add.status.success() {
        return Err(format!("webhook add failed: {}", String::from_utf8_lossy(&add.stderr)));
    }
    // Without: the endpoint wants no event, so nothing is written for it. With: it wants every
    // signature, and its deliveries are written in the signatures' transactions.
    let wants = |events: &'static str| async move {
        conn.execute_unprepared(&format!("UPDATE webhooks SET events = '{events}'"))
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let paused = |on: bool| async move {
        let value = match (db, on) {
            (Db::Sqlite, true) => "1",
            (Db::Sqlite, false) => "0",
            (Db::Postgres, true) => "true",
            (Db::Postgres, false) => "false",
        };
        conn.execute_unprepared(&format!("UPDATE webhooks SET paused = {value}"))
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    };
    let undelivered =
        || query_i64(conn, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status <> 'delivered'");
    let run = format!("{}w", std::process::id());
    let sign_url = format!("{}/p/{SLUG}/sign", server.base);
    let half = (o.duration / 2).max(1);
    let start_rss = server.rss.begin();

    // A B B A: without, with, with, without; the endpoint paused, so that this measures writing
    // the deliveries (sending them is the next row's).
    print!("{:<38} ", "POST /p/{slug}/sign with a webhook");
    paused(true).await?;
    wants("").await?;
    let a = wrk_for(o, half, &sign_url, &sign_script(server, &format!("{run}a"), ""))?;
    wants("signature.created").await?;
    let b = wrk_for(o, half, &sign_url, &sign_script(server, &format!("{run}b"), ""))?;
    let b2 = wrk_for(o, half, &sign_url, &sign_script(server, &format!("{run}c"), ""))?;
    wants("").await?;
    let a2 = wrk_for(o, half, &sign_url, &sign_script(server, &format!("{run}d"), ""))?;
    wants("signature.created").await?;
    let (plain, with) = (combined(a, a2), combined(b, b2));
    let ratio = rate(&with) / rate(&plain);
    let peak = server.rss.peak_mb();
    println!(
        "{:>10.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  {:.0}% of signing without",
        rate(&with),
        with.p50_us / 1000.0,
        with.p99_us / 1000.0,
        with.errors,
        ratio * 100.0
    );
    let signing = Row {
        db: db.name(),
        name: "POST /p/{slug}/sign with a webhook".into(),
        requests_per_s: rate(&with),
        p50_ms: Some(with.p50_us / 1000.0),
        p99_ms: Some(with.p99_us / 1000.0),
        errors: with.errors,
        requests: with.requests,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: peak - start_rss,
        target: ">= 90% of signing without (deliveries written, endpoint paused), measured beside it; RSS <= 64 MB"
            .into(),
        met: Some(ratio >= 0.9 && with.errors == 0 && peak <= 64.0),
        correct: with.errors == 0,
        note: format!("without: {:.0} req/s; with/without {:.0}%", rate(&plain), ratio * 100.0),
    };

    // The burst: the endpoint resumed (with what the last row queued), then as many signatures
    // as the target while the worker sends.
    let target: u64 = if o.smoke { 5_000 } else { 100_000 };
    let before = receiver.got.load(Ordering::Relaxed);
    let backlog = undelivered().await?;
    paused(false).await?;
    print!("{:<38} ", format!("webhook deliveries after a {target} burst"));
    let started = Instant::now();
    let mut burst = WrkResult::default();
    let mut part = 0;
    while burst.requests < target && started.elapsed() < Duration::from_secs(60) {
        let left = target - burst.requests;
        let seconds = ((left as f64 / rate(&with).max(1.0)).ceil() as u64).clamp(1, 10);
        let r = wrk_for(o, seconds, &sign_url, &sign_script(server, &format!("{run}e{part}"), ""))?;
        burst = combined(burst, r);
        part += 1;
    }
    let signed_in = started.elapsed();
    let events = backlog as u64 + burst.requests;
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut left = undelivered().await?;
    while left > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = undelivered().await?;
    }
    let drained_in = started.elapsed();
    let delivered = receiver.got.load(Ordering::Relaxed) - before;
    let per_s = delivered as f64 / drained_in.as_secs_f64();
    let dead = query_i64(conn, "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE status = 'dead'").await?;
    let all_out = left == 0 && dead == 0 && delivered >= events;
    let peak = server.rss.peak_mb();
    println!(
        "{per_s:>10.0} events/s  {delivered} delivered of {events} in {:.1} s (signing took {:.1} s), {left} left, {dead} dead",
        drained_in.as_secs_f64(),
        signed_in.as_secs_f64()
    );
    let delivery = Row {
        db: db.name(),
        name: format!("webhook deliveries after a {target}-signature burst"),
        requests_per_s: per_s,
        p50_ms: None,
        p99_ms: None,
        errors: burst.errors + u64::try_from(dead).unwrap_or(0),
        requests: delivered,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: peak - start_rss,
        target: format!("every one of >= {target} deliveries out, none dead; RSS <= 64 MB"),
        met: Some(all_out && burst.requests >= target && peak <= 64.0),
        correct: all_out && burst.errors == 0,
        note: format!(
            "{delivered} events ({backlog} queued before) in {:.1} s from the burst's start; signing meanwhile {:.0}/s",
            drained_in.as_secs_f64(),
            rate(&burst)
        ),
    };
    Ok(vec![signing, delivery])
}

/// Seeds `o.export_rows` signatures on their own petition and times `undersigned export`.
async fn export(db: Db, o: &Options, url: &str, conn: &DatabaseConnection) -> Result<Row, String> {
    print!("{:<38} ", format!("export {} rows", o.export_rows));
    let seed_started = Instant::now();
    seed_export(db, o.export_rows, conn).await?;
    let seeded_in = seed_started.elapsed();
    // The same command on the (small) demo petition: the memory a tiny export needs anyway.
    let (_, _, baseline) = run_export(url, SLUG)?;
    let started = Instant::now();
    let (status, lines, peak) = run_export(url, EXPORT_SLUG)?;
    let secs = started.elapsed().as_secs_f64();
    // Less than the tiny export is measurement noise, not a saving.
    let growth = (peak - baseline).max(0.0);
    let rows = lines.saturating_sub(1);
    let rate = rows as f64 / secs;
    let ok = status.success() && rows == o.export_rows;
    println!(
        "{rate:>10.0} rows/s  {secs:.2} s  peak RSS {peak:.1} MB (+{growth:.1} MB)  (seeded in {:.1} s)",
        seeded_in.as_secs_f64()
    );
    Ok(Row {
        db: db.name(),
        name: format!("export {} signatures (CSV)", o.export_rows),
        requests_per_s: rate,
        p50_ms: None,
        p99_ms: None,
        errors: u64::from(!ok),
        requests: rows,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: growth,
        target: ">= 500,000 rows/s; RSS growth < 32 MB, RSS <= 64 MB".into(),
        met: Some(ok && rate >= 500_000.0 && growth < 32.0 && peak <= 64.0),
        correct: ok,
        note: format!("{rows} rows in {secs:.2} s; export process RSS {baseline:.1} MB for a tiny export"),
    })
}

/// Runs `undersigned export` for one petition, counting lines; returns its exit status, the
/// lines read and its peak RSS (MB).
fn run_export(url: &str, slug: &str) -> Result<(std::process::ExitStatus, u64, f64), String> {
    let mut child = Command::new(SERVER)
        .args(["export", "--petition", slug])
        .env("DATABASE_URL", url)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let rss = RssSampler::start(child.id());
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = std::io::Read::read(&mut stdout, &mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((status, lines, rss.peak_mb()))
}

async fn seed_export(db: Db, n: u64, conn: &DatabaseConnection) -> Result<(), String> {
    let exec =
        |sql: String| async move { conn.execute_unprepared(&sql).await.map(drop).map_err(|e| e.to_string()) };
    let now = "2026-01-01 00:00:00+00:00";
    exec(format!(
        "INSERT INTO petitions (slug, kind, status, locale, title, summary, body, goal, offline_count, postal_country, created_at, updated_at) \
         VALUES ('{EXPORT_SLUG}', 'petition', 'open', 'en', 'Export bench', 's', 'b', {n}, 0, 'US', '{now}', '{now}')"
    ))
    .await?;
    let pid = query_i64(conn, &format!("SELECT id AS n FROM petitions WHERE slug = '{EXPORT_SLUG}'")).await?;
    let series = series(db, n);
    let cat = |a: &str, b: &str| cat(db, a, b);
    exec(format!(
        "INSERT INTO supporters (email_canonical, email, given_name, family_name, postal_code, created_at) \
         SELECT {}, {}, 'Given', 'Family', '94110', '{now}' FROM ({series}) q",
        cat("'export'", &cat("i", "'@example.org'")),
        cat("'Export'", &cat("i", "'@example.org'")),
    ))
    .await?;
    exec(format!(
        "INSERT INTO signatures (petition_id, supporter_id, status, given_name, family_name, email, postal_code, \
         email_opt_in, public_name, utm_source, share_code, signed_at) \
         SELECT {pid}, id, 'validated', given_name, family_name, email, postal_code, {t}, {f}, 'bench', \
         {code}, '{now}' FROM supporters WHERE email_canonical LIKE 'export%'",
        t = if db == Db::Sqlite { "1" } else { "true" },
        f = if db == Db::Sqlite { "0" } else { "false" },
        code = cat("'x'", "id"),
    ))
    .await?;
    // Fresh statistics, as the database's own maintenance would have after such a load.
    exec("ANALYZE".into()).await?;
    Ok(())
}

/// A delivery of a letter with 10,000 signers (two in three named) and its PDF packet, made by
/// `undersigned delivery create --pdf`: its time and the process's peak memory.
async fn packet(db: Db, url: &str, conn: &DatabaseConnection) -> Result<Row, String> {
    print!("{:<38} ", format!("delivery packet, {PACKET_SIGNERS} signers"));
    let exec =
        |sql: String| async move { conn.execute_unprepared(&sql).await.map(drop).map_err(|e| e.to_string()) };
    let now = "2026-01-01 00:00:00+00:00";
    let n = PACKET_SIGNERS;
    exec(format!(
        "INSERT INTO petitions (slug, kind, status, locale, title, summary, body, goal, offline_count, postal_country, created_at, updated_at, opened_at) \
         VALUES ('{PACKET_SLUG}', 'letter', 'open', 'en', 'Safe staffing now', 's', 'Dear board,\n\nWe ask for safe staffing on every ward.', {n}, 0, 'US', '{now}', '{now}', '{now}')"
    ))
    .await?;
    let pid = query_i64(conn, &format!("SELECT id AS n FROM petitions WHERE slug = '{PACKET_SLUG}'")).await?;
    exec(format!(
        "INSERT INTO recipients (petition_id, position, name, title, organisation) \
         VALUES ({pid}, 0, 'Dana Whitfield', 'CEO', 'Riverside Health')"
    ))
    .await?;
    let series = series(db, n);
    let cat = |a: &str, b: &str| cat(db, a, b);
    exec(format!(
        "INSERT INTO supporters (email_canonical, email, given_name, family_name, postal_code, created_at) \
         SELECT {}, {}, 'María José', {}, '94110', '{now}' FROM ({series}) q",
        cat("'packet'", &cat("i", "'@example.org'")),
        cat("'packet'", &cat("i", "'@example.org'")),
        cat("'Núñez-'", "i"),
    ))
    .await?;
    exec(format!(
        "INSERT INTO signatures (petition_id, supporter_id, status, given_name, family_name, email, postal_code, \
         worksite, email_opt_in, public_name, share_code, signed_at) \
         SELECT {pid}, id, 'validated', given_name, family_name, email, postal_code, 'Riverside West', {f}, \
         (id % 3 <> 0), {code}, '{now}' FROM supporters WHERE email_canonical LIKE 'packet%'",
        f = if db == Db::Sqlite { "0" } else { "false" },
        code = cat("'p'", "id"),
    ))
    .await?;
    let pdf = std::env::temp_dir().join(format!("bench-packet-{}.pdf", std::process::id()));
    let started = Instant::now();
    let mut child = Command::new(SERVER)
        .args(["delivery", "create", "--petition", PACKET_SLUG, "--fields", "name,worksite", "--pdf"])
        .arg(&pdf)
        .env("DATABASE_URL", url)
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let rss = RssSampler::start(child.id());
    let status = child.wait().map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    let peak = rss.peak_mb();
    let bytes = std::fs::metadata(&pdf).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&pdf);
    let ok = status.success() && bytes > 0;
    println!("{secs:.2} s  peak RSS {peak:.1} MB  PDF {:.1} MB", bytes as f64 / 1e6);
    Ok(Row {
        db: db.name(),
        name: format!("delivery with its PDF packet, {PACKET_SIGNERS} signers"),
        requests_per_s: PACKET_SIGNERS as f64 / secs,
        p50_ms: None,
        p99_ms: None,
        errors: u64::from(!ok),
        requests: PACKET_SIGNERS,
        ratio_to_healthz: None,
        peak_rss_mb: peak,
        rss_growth_mb: 0.0,
        target: "< 10 s; RSS <= 64 MB".into(),
        met: Some(ok && secs < 10.0 && peak <= 64.0),
        correct: ok,
        note: format!(
            "{secs:.2} s for the delivery and its packet (the rate column: signers/s); PDF {bytes} bytes"
        ),
    })
}

/// SQL giving the numbers 1 to `n` as column `i`.
fn series(db: Db, n: u64) -> String {
    match db {
        Db::Sqlite => {
            format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
            )
        }
        Db::Postgres => format!("SELECT i FROM generate_series(1, {n}) AS s(i)"),
    }
}

/// SQL joining text `a` and `b` (a number in PostgreSQL needs a cast).
fn cat(db: Db, a: &str, b: &str) -> String {
    match db {
        Db::Sqlite => format!("{a} || {b}"),
        Db::Postgres => format!("{a} || {b}::text"),
    }
}

fn markdown(rows: &[Row], o: &Options) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Load benchmark: wrk -t2 -c{} -d{}s over loopback{}. Ratios are to the same run's `/healthz`.\n",
        o.connections,
        o.duration,
        if o.smoke { " (smoke run)" } else { "" }
    );
    let _ = writeln!(
        s,
        "| db | route | req/s (export: rows/s) | p50 ms | p99 ms | errors | x healthz | peak RSS MB | RSS growth MB | target | met | note |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|");
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.1} | {} | {} | {} |",
            r.db,
            r.name,
            r.requests_per_s,
            r.p50_ms.map_or("-".into(), |v| format!("{v:.2}")),
            r.p99_ms.map_or("-".into(), |v| format!("{v:.2}")),
            r.errors,
            r.ratio_to_healthz.map_or("-".into(), |x| format!("{:.0}%", x * 100.0)),
            r.peak_rss_mb,
            r.rss_growth_mb,
            r.target,
            match r.met {
                Some(true) => "yes",
                Some(false) => "**MISSED**",
                None => "-",
            },
            r.note
        );
    }
    s
}
