//! Landing page visits, counted in memory and added to the database every few seconds (see
//! `startup`), so that a busy ad never updates a row per view. Only aggregates: a landing page,
//! a day, a short code; nothing about the visitor.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{NaiveDate, Utc};

use crate::sync::lock;

/// What one visit counts toward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VisitKey {
    /// UTC.
    pub day: NaiveDate,
    pub landing_page_id: i64,
    /// The poster's short code it came through; 0 for none.
    pub short_code_id: i64,
}

/// Visits not yet added to the database.
#[derive(Clone, Debug, Default)]
pub struct Visits(Arc<Mutex<HashMap<VisitKey, i64>>>);

impl Visits {
    /// Counts one visit of a landing page (through a short code, for a scan) today.
    pub fn count(&self, landing_page_id: i64, short_code_id: Option<i64>) {
        let key = VisitKey {
            day: Utc::now().date_naive(),
            landing_page_id,
            short_code_id: short_code_id.unwrap_or(0),
        };
        *lock(&self.0).entry(key).or_default() += 1;
    }

    /// Takes every visit counted so far, to add them to the database.
    pub fn take(&self) -> HashMap<VisitKey, i64> {
        std::mem::take(&mut *lock(&self.0))
    }

    /// Gives back visits that could not be stored, to be tried again with the next ones.
    pub fn put_back(&self, visits: HashMap<VisitKey, i64>) {
        let mut map = lock(&self.0);
        for (key, n) in visits {
            *map.entry(key).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_add_up_and_nothing_is_lost_when_given_back() {
        let v = Visits::default();
        v.count(1, None);
        v.count(1, None);
        v.count(1, Some(7));
        let taken = v.take();
        assert_eq!(taken.values().sum::<i64>(), 3);
        assert_eq!(taken.len(), 2);
        v.count(1, None);
        v.put_back(taken);
        let again = v.take();
        assert_eq!(again.values().sum::<i64>(), 4);
        assert!(v.take().is_empty());
    }
}
