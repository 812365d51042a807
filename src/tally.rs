//! Per-petition counts in memory: set by the signature writer after each commit and re-read
//! from the database every second (so other server processes' signatures show too). Every page
//! and feed shows the count from here.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use chrono::{DateTime, Utc};

use crate::sync::{read, write};

/// Validated signatures of one petition, as of `updated_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    pub validated: i64,
    /// The tally row's version: changes are serialised by the database, so a higher version
    /// is always the newer count, whichever process or task read it.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<&entity::petition_tally::Model> for Tally {
    fn from(t: &entity::petition_tally::Model) -> Self {
        Self { validated: t.validated, version: t.version, updated_at: t.updated_at }
    }
}

/// Per-petition tallies, shared by every request.
#[derive(Clone, Debug, Default)]
pub struct Counts(Arc<RwLock<HashMap<i64, Tally>>>);

impl Counts {
    /// Every petition's tally known here.
    pub fn all(&self) -> Vec<(i64, Tally)> {
        read(&self.0).iter().map(|(id, t)| (*id, *t)).collect()
    }

    pub fn get(&self, petition_id: i64) -> Option<Tally> {
        read(&self.0).get(&petition_id).copied()
    }

    /// Records a tally read from the database, unless a newer one is already known.
    pub fn record(&self, petition_id: i64, tally: Tally) {
        let mut map = write(&self.0);
        let entry = map.entry(petition_id).or_insert(tally);
        if tally.version >= entry.version {
            *entry = tally;
        }
    }

    /// The public count of a petition: validated signatures plus the offline count staff
    /// entered, and when it last changed. Every page and feed shows this one number.
    pub fn public(&self, p: &entity::petition::Model) -> (i64, DateTime<Utc>) {
        match self.get(p.id) {
            Some(t) => (t.validated + p.offline_count, t.updated_at.max(p.updated_at)),
            None => (p.offline_count, p.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_tally_never_replaces_a_newer_one() {
        let counts = Counts::default();
        let at = Utc::now();
        counts.record(1, Tally { validated: 5, version: 2, updated_at: at });
        counts.record(1, Tally { validated: 4, version: 1, updated_at: at });
        assert_eq!(counts.get(1).map(|t| t.validated), Some(5));
        counts.record(1, Tally { validated: 3, version: 3, updated_at: at });
        assert_eq!(counts.get(1).map(|t| t.validated), Some(3));
    }
}
