//! Database access: connections, migrations and query functions. Query functions take
//! `&impl ConnectionTrait` so they work on a pool and inside a transaction alike.

pub mod confirmations;
pub mod counted;
pub mod dashboard;
pub mod deliveries;
pub mod export;
pub mod invalidations;
pub mod landing;
pub mod mail;
pub mod paper;
pub mod petitions;
pub mod recount;
pub mod report;
pub mod retention;
pub mod review;
pub mod rollup;
pub mod schedules;
pub mod settings;
pub mod share_texts;
pub mod shared_sites;
pub mod sharing;
pub mod signatures;
pub mod spend;
pub mod staff;
pub mod sync;
pub mod tokens;
pub mod unsubscribes;
pub mod webhooks;
pub mod writer;

use std::{path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, DatabaseBackend, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// The connections the server uses: readers serve pages; the writer pool belongs to the
/// signature writer tasks. On SQLite the writer is one connection (SQLite has one writer at a
/// time anyway, and a single connection never waits on the file lock); on PostgreSQL both are
/// the same pool.
#[derive(Clone, Debug)]
pub struct Database {
    pub read: DatabaseConnection,
    pub write: DatabaseConnection,
}

impl Database {
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        if url.starts_with("sqlite:") {
            create_sqlite_dir(url)?;
            // Four readers keep two cores busy; each one holds its own page cache and worker
            // thread, which the memory targets pay for.
            let read = connect_sqlite(url, 4, READ_CACHE_KIB).await?;
            let write = connect_sqlite(url, 1, WRITE_CACHE_KIB).await?;
            Ok(Self { read, write })
        } else {
            let mut opts = ConnectOptions::new(url);
            opts.max_connections(16)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .sqlx_logging(false);
            let conn = sea_orm::Database::connect(opts).await?;
            Ok(Self { read: conn.clone(), write: conn })
        }
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.read.get_database_backend()
    }

    /// Applies every pending migration, then fills what a migration asked to be filled from
    /// the data already stored.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        Migrator::up(&self.write, None).await?;
        if rollup::rebuild_if_asked(&self.write).await? {
            tracing::info!(
                "signature counts by hour, attribution and region made from the signatures stored"
            );
        }
        Ok(())
    }

    /// Readiness: a round trip to the database.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.read.ping().await
    }

    pub async fn close(self) {
        // Errors on close only mean the pool was already gone.
        let _ = self.write.close().await;
        let _ = self.read.close().await;
    }
}

/// SQLite's page cache per reading connection (KiB). Readers scan (exports, API pages) more
/// than they revisit, and each holds its own cache: 1 MiB each, not SQLite's 2.
const READ_CACHE_KIB: u32 = 1024;
/// The writer's page cache (KiB): SQLite's default, for the indexes every signature updates.
const WRITE_CACHE_KIB: u32 = 2000;

async fn connect_sqlite(url: &str, max: u32, cache_kib: u32) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .pragma("cache_size", format!("-{cache_kib}"))
        });
    sea_orm::Database::connect(opts).await
}

/// Creates the folder of a SQLite database file (`sqlite://data/x.db` → `data/`).
fn create_sqlite_dir(url: &str) -> Result<(), DbErr> {
    let path =
        url.trim_start_matches("sqlite:").trim_start_matches("//").split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display()))),
        _ => Ok(()),
    }
}
