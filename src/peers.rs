//! The server processes serving one PostgreSQL database. Each says every second that it is
//! there (table `server_processes`), and counts the others, so that the per-network signing
//! limit is also checked in the database exactly while more than one process signs into it
//! (`LIMIT_NETWORK_IN_DATABASE=auto`): one process alone keeps its full signing speed, and a
//! second one started beside it turns the check on in both within about a second.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};

/// `LIMIT_NETWORK_IN_DATABASE`: whether the per-network and per-domain limits are also checked
/// in the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DatabaseLimit {
    /// While another process serves the same database.
    #[default]
    Auto,
    Always,
    Never,
}

impl DatabaseLimit {
    /// `auto`, `true` or `false` (also `1`/`0`, `yes`/`no`), in any case.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "true" | "1" | "yes" => Some(Self::Always),
            "false" | "0" | "no" => Some(Self::Never),
            _ => None,
        }
    }
}

/// A process that has not said it is there for this long is taken to be gone.
const FRESH_SECONDS: u32 = 10;
/// A row this old is deleted (a process that stopped without saying so).
const FORGET_SECONDS: u32 = 60;

/// This process and the others it has seen.
#[derive(Debug)]
pub struct Peers {
    /// This process's row.
    id: String,
    mode: DatabaseLimit,
    /// Several processes can write the database (PostgreSQL); SQLite is written by one.
    shared_database: bool,
    /// Processes seen at the last look, this one included.
    seen: AtomicU64,
    /// When the last look succeeded, in milliseconds after `started`.
    looked_ms: AtomicU64,
    started: Instant,
}

impl Peers {
    pub fn new(mode: DatabaseLimit, backend: DatabaseBackend) -> Self {
        Self {
            id: crate::domain::staff::new_token(),
            mode,
            shared_database: backend == DatabaseBackend::Postgres,
            seen: AtomicU64::new(1),
            looked_ms: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// Whether this process says it is there and counts the others (`auto` on PostgreSQL).
    fn watching(&self) -> bool {
        self.shared_database && self.mode == DatabaseLimit::Auto
    }

    /// Whether the per-network limit is checked in the database now. With `auto`, also while
    /// this process has not managed to look for [`FRESH_SECONDS`]: the others may have taken
    /// it for gone, so its memory may not be the only one.
    pub fn limit_in_database(&self) -> bool {
        self.shared_database
            && match self.mode {
                DatabaseLimit::Always => true,
                DatabaseLimit::Never => false,
                DatabaseLimit::Auto => self.seen() > 1 || self.unsure(),
            }
    }

    fn unsure(&self) -> bool {
        let since = self.elapsed_ms().saturating_sub(self.looked_ms.load(Ordering::Relaxed));
        since > u64::from(FRESH_SECONDS) * 1000
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The processes serving the database at the last look, this one included (1 unless
    /// `LIMIT_NETWORK_IN_DATABASE` is `auto` on PostgreSQL).
    pub fn seen(&self) -> u64 {
        self.seen.load(Ordering::Relaxed)
    }

    /// Looks every second until the task is ended; then say [`Peers::leave`].
    pub async fn watch(self: Arc<Self>, db: DatabaseConnection) {
        if !self.watching() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.beat(&db).await {
                tracing::warn!(error = %crate::error::chain(&e), "telling other processes this one is here failed");
            }
        }
    }

    /// Says this process is there, forgets processes long gone, and counts those there now.
    /// Times are the database's, so the processes' clocks do not matter.
    pub async fn beat(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        if !self.watching() {
            return Ok(());
        }
        let pg = DatabaseBackend::Postgres;
        db.execute_raw(Statement::from_sql_and_values(
            pg,
            "INSERT INTO server_processes (id, started_at, seen_at) \
             VALUES ($1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) \
             ON CONFLICT (id) DO UPDATE SET seen_at = CURRENT_TIMESTAMP",
            [self.id.clone().into()],
        ))
        .await?;
        db.execute_unprepared(&format!(
            "DELETE FROM server_processes WHERE seen_at < CURRENT_TIMESTAMP - INTERVAL '{FORGET_SECONDS} seconds'"
        ))
        .await?;
        let row = db
            .query_one_raw(Statement::from_string(
                pg,
                format!(
                    "SELECT COUNT(*) AS n FROM server_processes \
                     WHERE seen_at >= CURRENT_TIMESTAMP - INTERVAL '{FRESH_SECONDS} seconds'"
                ),
            ))
            .await?;
        let n = row.map(|r| r.try_get::<i64>("", "n")).transpose()?.unwrap_or(1);
        let n = u64::try_from(n).unwrap_or(0).max(1);
        self.looked_ms.store(self.elapsed_ms(), Ordering::Relaxed);
        let before = self.seen.swap(n, Ordering::Relaxed);
        if before != n {
            tracing::info!(
                processes = n,
                limit_in_database = self.limit_in_database(),
                "the server processes serving this database changed"
            );
        }
        Ok(())
    }

    /// Says this process is gone, on a clean stop.
    pub async fn leave(&self, db: &DatabaseConnection) {
        if !self.watching() {
            return;
        }
        let gone = db
            .execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "DELETE FROM server_processes WHERE id = $1",
                [self.id.clone().into()],
            ))
            .await;
        if let Err(e) = gone {
            tracing::warn!(error = %crate::error::chain(&e), "could not say this process stopped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_reads_auto_true_and_false() {
        assert_eq!(DatabaseLimit::parse(" Auto "), Some(DatabaseLimit::Auto));
        assert_eq!(DatabaseLimit::parse("TRUE"), Some(DatabaseLimit::Always));
        assert_eq!(DatabaseLimit::parse("no"), Some(DatabaseLimit::Never));
        assert_eq!(DatabaseLimit::parse("sometimes"), None);
    }

    #[test]
    fn the_check_follows_the_processes_seen_on_postgresql_only() {
        let auto = Peers::new(DatabaseLimit::Auto, DatabaseBackend::Postgres);
        assert!(!auto.limit_in_database(), "alone");
        auto.seen.store(2, Ordering::Relaxed);
        assert!(auto.limit_in_database(), "with another");
        // Alone at its last look, but that was long ago: it may have been taken for gone.
        auto.seen.store(1, Ordering::Relaxed);
        let long_ago = Peers { started: Instant::now() - Duration::from_secs(11), ..auto };
        assert!(long_ago.limit_in_database(), "unsure");
        long_ago.looked_ms.store(long_ago.elapsed_ms(), Ordering::Relaxed);
        assert!(!long_ago.limit_in_database(), "looked just now");
        let never = Peers::new(DatabaseLimit::Never, DatabaseBackend::Postgres);
        never.seen.store(3, Ordering::Relaxed);
        assert!(!never.limit_in_database());
        assert!(Peers::new(DatabaseLimit::Always, DatabaseBackend::Postgres).limit_in_database());
        let sqlite = Peers::new(DatabaseLimit::Always, DatabaseBackend::Sqlite);
        sqlite.seen.store(2, Ordering::Relaxed);
        assert!(!sqlite.limit_in_database(), "SQLite is written by one process");
    }
}
