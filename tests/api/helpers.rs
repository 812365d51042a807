//! The test harness: a running server, its database, and typed helpers.

use std::{path::PathBuf, sync::Once};

use entity::petition::{Kind, Status};
use reqwest::{Response, StatusCode, redirect::Policy};
use sea_orm::{ConnectionTrait, Database as SeaDatabase};
use undersigned::{
    config::Config,
    db::{
        Database,
        petitions::{self, NewPetition},
        signatures,
    },
    startup::Application,
};

/// The public URL the test server believes it has.
pub const PUBLIC_URL: &str = "http://localhost:3000";
/// The test server's secret key (cookies are signed with a key derived from it).
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123";

/// A running server with its own database, removed when the test ends.
pub struct TestApp {
    pub address: String,
    pub db_url: String,
    pub client: reqwest::Client,
    pub db: Database,
    /// What the in-process server's signature writer has done.
    pub writer: std::sync::Arc<undersigned::db::writer::WriterStats>,
    /// The one-time link to create the first admin, printed by `serve` on a database without
    /// staff.
    pub setup_link: Option<String>,
    _guard: DbGuard,
}

/// A signing form, as a browser would post it.
#[derive(Clone, Debug)]
pub struct Signer {
    pub fields: Vec<(String, String)>,
}

impl Signer {
    /// A valid signer with this email.
    pub fn new(email: &str) -> Self {
        Self {
            fields: [
                ("given_name", "Ana"),
                ("family_name", "Ruiz"),
                ("email", email),
                ("postal_code", "94110"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        }
    }

    /// The email field as posted.
    pub fn email(&self) -> &str {
        self.fields.iter().find(|(k, _)| k == "email").map_or("", |(_, v)| v.as_str())
    }

    /// Sets (or adds) a field.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.fields.retain(|(k, _)| k != key);
        self.fields.push((key.to_owned(), value.to_owned()));
        self
    }
}

static TRACING: Once = Once::new();

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// The signing limits, off in tests that do not set them: tests sign many times from one
/// address and domain (`tests/api/limits.rs` tests the limits).
const LIMITS: [&str; 4] = ["LIMIT_NETWORK", "LIMIT_DOMAIN", "LIMIT_EMAIL", "LIMIT_FLOOD"];

/// The signing form's timing check, off (`0`) in tests that do not set it: tests post forms
/// they never loaded, at once (`tests/api/limits.rs` tests the check).
const FORM_TIMING: [&str; 2] = ["FORM_MIN_SECONDS", "FORM_MAX_HOURS"];

/// [`spawn_app`] with more settings (`("EMBED_ORIGINS", "https://…")`, …).
pub async fn spawn_app_with(settings: &[(&str, &str)]) -> TestApp {
    let settings: Vec<(String, String)> =
        settings.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            undersigned::telemetry::init(undersigned::config::LogFormat::Pretty);
        }
    });
    let guard = DbGuard::new().await;
    let db_url = guard.url.clone();
    let url = db_url.clone();
    let config = Config::from_lookup(move |k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "BIND" => Some("127.0.0.1:0".into()),
        "PUBLIC_URL" => Some(
            settings
                .iter()
                .find(|(k, _)| k == "PUBLIC_URL")
                .map_or_else(|| PUBLIC_URL.into(), |(_, v)| v.clone()),
        ),
        "SECRET_KEY" => Some(TEST_SECRET.into()),
        other => settings
            .iter()
            .find(|(k, _)| k == other)
            .map(|(_, v)| v.clone())
            .or_else(|| LIMITS.contains(&other).then(|| "off".into()))
            .or_else(|| FORM_TIMING.contains(&other).then(|| "0".into())),
    })
    .expect("test config is valid");
    let app = Application::build(config).await.expect("the server starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let setup_link = app.setup_link().map(str::to_owned);
    let writer = app.writer_stats();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let db = Database::connect(&db_url).await.expect("the test connects to its database");
    let client =
        reqwest::Client::builder().redirect(Policy::none()).cookie_store(true).build().expect("a client");
    TestApp { address, db_url, client, db, writer, setup_link, _guard: guard }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Creates a petition (or letter) with the given status and returns its id.
    pub async fn petition(&self, slug: &str, kind: Kind, status: Status, locale: &str) -> i64 {
        self.petition_asking(slug, kind, status, locale, undersigned::domain::FormFields::default()).await
    }

    /// [`TestApp::petition`] whose form asks for `form_fields`.
    pub async fn petition_asking(
        &self,
        slug: &str,
        kind: Kind,
        status: Status,
        locale: &str,
        form_fields: undersigned::domain::FormFields,
    ) -> i64 {
        let recipients = match kind {
            Kind::Letter => vec![undersigned::domain::campaign::Recipient::new(
                "Dana Whitfield",
                "CEO",
                "Riverside Health",
            )],
            Kind::Petition => vec![],
        };
        petitions::create(
            &self.db.write,
            NewPetition {
                slug: slug.into(),
                kind,
                status,
                locale: locale.into(),
                title: format!("Title of {slug}"),
                summary: format!("Summary of {slug}"),
                body: "First paragraph.\n\nSecond <b>paragraph</b>.".into(),
                goal: 1000,
                postal_country: "US".into(),
                image_url: None,
                recipients,
                form_fields,
                updated_by: None,
            },
            chrono::Utc::now(),
        )
        .await
        .expect("petition created")
        .expect("slug is new")
    }

    /// The id of the petition with this slug.
    pub async fn petition_id(&self, slug: &str) -> i64 {
        petitions::find_by_slug(&self.db.read, slug).await.expect("query").expect("a petition").petition.id
    }

    /// An open English petition.
    pub async fn open_petition(&self, slug: &str) -> i64 {
        self.petition(slug, Kind::Petition, Status::Open, "en").await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn sign(&self, slug: &str, signer: &Signer) -> Response {
        self.client
            .post(self.url(&format!("/p/{slug}/sign")))
            .form(&signer.fields)
            .send()
            .await
            .expect("request sent")
    }

    /// Signs with a fresh client (no cookies shared with other signers).
    pub async fn sign_fresh(&self, slug: &str, signer: &Signer) -> Response {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a client")
            .post(self.url(&format!("/p/{slug}/sign")))
            .form(&signer.fields)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn count_json(&self, slug: &str) -> serde_json::Value {
        let res = self.get(&format!("/p/{slug}/count.json")).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json().await.expect("count.json is JSON")
    }

    pub async fn count(&self, slug: &str) -> i64 {
        self.count_json(slug).await["signatures"].as_i64().expect("signatures is a number")
    }

    /// Counts validated signatures row by row in the database.
    pub async fn recount(&self, petition_id: i64) -> i64 {
        signatures::recount(&self.db.read, petition_id).await.expect("recount")
    }

    /// Checks that the aggregates the dashboard reads agree with the signatures: they sum to a
    /// recount, and a rebuild from the signatures finds every row as it was. Returns the sum.
    pub async fn aggregates(&self, petition_id: i64) -> i64 {
        let snapshot = async || {
            let sql = "SELECT petition_id, hour, landing_page, source, utm_campaign, referrer, share_text_id, \
                       CASE WHEN new_supporter THEN 1 ELSE 0 END AS fresh, signatures FROM signature_counts \
                       WHERE signatures <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8";
            let mut rows: Vec<String> = Vec::new();
            for r in self
                .db
                .read
                .query_all_raw(sea_orm::Statement::from_string(self.db.backend(), sql))
                .await
                .expect("query")
            {
                let text = |c: &str| r.try_get::<String>("", c).expect("text");
                let int = |c: &str| r.try_get::<i64>("", c).expect("integer");
                rows.push(format!(
                    "{} {} {} {} {} {} {} {} {}",
                    int("petition_id"),
                    text("hour"),
                    text("landing_page"),
                    text("source"),
                    text("utm_campaign"),
                    text("referrer"),
                    int("share_text_id"),
                    r.try_get::<i32>("", "fresh").expect("0 or 1"),
                    int("signatures")
                ));
            }
            let sql = "SELECT petition_id, region, signatures FROM signature_regions WHERE signatures <> 0 ORDER BY 1, 2";
            for r in self
                .db
                .read
                .query_all_raw(sea_orm::Statement::from_string(self.db.backend(), sql))
                .await
                .expect("query")
            {
                rows.push(format!(
                    "region {} {} {}",
                    r.try_get::<i64>("", "petition_id").expect("id"),
                    r.try_get::<String>("", "region").expect("region"),
                    r.try_get::<i64>("", "signatures").expect("n")
                ));
            }
            rows
        };
        let kept = snapshot().await;
        undersigned::db::rollup::rebuild(&self.db.write).await.expect("rebuilt");
        assert_eq!(kept, snapshot().await, "the aggregates kept as signatures came and went, then rebuilt");
        let prefix = format!("{petition_id} ");
        let sum: i64 = kept
            .iter()
            .filter(|r| r.starts_with(&prefix))
            .map(|r| r.rsplit(' ').next().and_then(|n| n.parse::<i64>().ok()).expect("a number"))
            .sum();
        assert_eq!(sum, self.recount(petition_id).await, "the aggregates sum to a recount");
        sum
    }

    /// Every signature row of a petition, whatever its status.
    pub async fn rows(&self, petition_id: i64) -> i64 {
        let sql = format!("SELECT COUNT(*) AS n FROM signatures WHERE petition_id = {petition_id}");
        let row = self
            .db
            .read
            .query_one_raw(sea_orm::Statement::from_string(self.db.backend(), sql))
            .await
            .expect("query")
            .expect("a row");
        row.try_get::<i64>("", "n").expect("a count")
    }

    /// Runs the real `undersigned` binary against this test's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_with(&[], args)
    }

    /// [`TestApp::cli`] with more environment variables.
    pub fn cli_with(&self, env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .args(args)
            .envs(env.iter().copied())
            .env("DATABASE_URL", &self.db_url)
            .env("PUBLIC_URL", PUBLIC_URL)
            .env_remove("RUST_LOG")
            .output()
            .expect("the binary runs")
    }
}

/// A migrated database of its own, with no server on it.
pub struct Scratch {
    pub db: Database,
    _guard: DbGuard,
}

pub async fn scratch_database() -> Scratch {
    let guard = DbGuard::new().await;
    let db = Database::connect(&guard.url).await.expect("the test connects to its database");
    db.migrate().await.expect("migrations apply");
    Scratch { db, _guard: guard }
}

/// A database that exists for one test.
struct DbGuard {
    url: String,
    kind: GuardKind,
}

enum GuardKind {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl DbGuard {
    async fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("undersigned_test_{id}");
                let admin = SeaDatabase::connect(&admin_url).await.expect("TEST_POSTGRES_URL is reachable");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create database");
                let _ = admin.close().await;
                let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
                url.set_path(&name);
                Self { url: url.to_string(), kind: GuardKind::Postgres { admin_url, name } }
            }
            _ => {
                let dir = std::env::temp_dir().join("undersigned-tests");
                std::fs::create_dir_all(&dir).expect("temp dir");
                let path = dir.join(format!("{id}.db"));
                Self { url: format!("sqlite://{}?mode=rwc", path.display()), kind: GuardKind::Sqlite(path) }
            }
        }
    }
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        match &self.kind {
            GuardKind::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            GuardKind::Postgres { admin_url, name } => {
                // Drop runs inside the test's runtime: use a thread with its own.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(admin) = SeaDatabase::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// The real `undersigned serve` binary, running on a test's database.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub address: String,
}

impl ServerProcess {
    /// Starts the binary on `db_url` and waits until `/healthz` answers.
    pub async fn start(db_url: &str) -> Self {
        Self::start_with(db_url, &[]).await
    }

    /// [`ServerProcess::start`] with more environment variables.
    pub async fn start_with(db_url: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn(db_url, env, std::process::Stdio::inherit()).await
    }

    /// [`ServerProcess::start_with`], its standard error written to `log`.
    pub async fn start_logged(db_url: &str, env: &[(&str, &str)], log: &std::path::Path) -> Self {
        let file = std::fs::File::create(log).expect("a log file");
        Self::spawn(db_url, env, file.into()).await
    }

    async fn spawn(db_url: &str, env: &[(&str, &str)], stderr: std::process::Stdio) -> Self {
        let port = free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", PUBLIC_URL)
            .env("RUST_LOG", "warn")
            .envs(LIMITS.map(|k| (k, "off")))
            .envs(FORM_TIMING.map(|k| (k, "0")))
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("the binary starts");
        // Owned from here on, so that a failure below still ends the process (see `Drop`).
        let server = Self { child, address: format!("http://127.0.0.1:{port}") };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(res) = client.get(format!("{}/healthz", server.address)).send().await
                && res.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the server did not become healthy on {}", server.address);
    }

    /// Sends SIGTERM (graceful shutdown) and waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success());
        self.child.wait().expect("the server exits")
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL sent");
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // A test that failed half-way must not leave its server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Emails (lower-cased) of a petition's validated signatures, via the real export command.
pub fn exported_emails(app: &TestApp, slug: &str) -> Vec<String> {
    let out = app.cli(&["export", "--petition", slug, "--status", "validated"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    reader.records().map(|r| r.expect("valid CSV")[5].to_lowercase()).collect()
}
