//! Landing page visits, counted in memory and added to the database every few seconds (see
//! `startup`), so that a busy ad never updates a row per view. Only aggregates: a landing page,
//! a day, a short code, a campaign; nothing about the visitor.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use chrono::{NaiveDate, Utc};

use crate::sync::lock;

/// Distinct campaigns counted per landing page and day by one server; visits from further
/// campaign names (made-up links, say) are counted without a campaign, so that nobody can fill
/// the table by inventing names.
pub const MAX_CAMPAIGNS: usize = 100;

/// What one visit counts toward.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VisitKey {
    /// UTC.
    pub day: NaiveDate,
    pub landing_page_id: i64,
    /// The poster's short code it came through; 0 for none.
    pub short_code_id: i64,
    /// The visit's own `utm_campaign`; empty for none.
    pub campaign: String,
}

#[derive(Debug, Default)]
struct Counted {
    visits: HashMap<VisitKey, i64>,
    /// The campaigns seen per landing page and day (see [`MAX_CAMPAIGNS`]).
    campaigns: HashMap<(NaiveDate, i64), HashSet<String>>,
}

/// Visits not yet added to the database.
#[derive(Clone, Debug, Default)]
pub struct Visits(Arc<Mutex<Counted>>);

impl Visits {
    /// Counts one visit of a landing page today, through a short code (a scan) and from a
    /// campaign's link when there is one.
    pub fn count(&self, landing_page_id: i64, short_code_id: Option<i64>, campaign: Option<&str>) {
        let day = Utc::now().date_naive();
        let mut counted = lock(&self.0);
        let campaign = match campaign {
            Some(c) => {
                let seen = counted.campaigns.entry((day, landing_page_id)).or_default();
                if seen.contains(c) || (seen.len() < MAX_CAMPAIGNS && seen.insert(c.to_owned())) {
                    c.to_owned()
                } else {
                    String::new()
                }
            }
            None => String::new(),
        };
        let key = VisitKey { day, landing_page_id, short_code_id: short_code_id.unwrap_or(0), campaign };
        *counted.visits.entry(key).or_default() += 1;
    }

    /// Takes every visit counted so far, to add them to the database.
    pub fn take(&self) -> HashMap<VisitKey, i64> {
        let mut counted = lock(&self.0);
        let today = Utc::now().date_naive();
        counted.campaigns.retain(|(day, _), _| *day >= today);
        std::mem::take(&mut counted.visits)
    }

    /// Gives back visits that could not be stored, to be tried again with the next ones.
    pub fn put_back(&self, visits: HashMap<VisitKey, i64>) {
        let mut counted = lock(&self.0);
        for (key, n) in visits {
            *counted.visits.entry(key).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visits_add_up_and_nothing_is_lost_when_given_back() {
        let v = Visits::default();
        v.count(1, None, None);
        v.count(1, None, None);
        v.count(1, Some(7), None);
        v.count(1, None, Some("nov"));
        let taken = v.take();
        assert_eq!(taken.values().sum::<i64>(), 4);
        assert_eq!(taken.len(), 3);
        v.count(1, None, None);
        v.put_back(taken);
        let again = v.take();
        assert_eq!(again.values().sum::<i64>(), 5);
        assert!(v.take().is_empty());
    }

    #[test]
    fn made_up_campaigns_cannot_grow_the_counts() {
        let v = Visits::default();
        for i in 0..(MAX_CAMPAIGNS + 50) {
            v.count(1, None, Some(&format!("c{i}")));
        }
        v.count(1, None, Some("c0"));
        let taken = v.take();
        assert_eq!(taken.len(), MAX_CAMPAIGNS + 1, "the first campaigns, and the rest without one");
        assert_eq!(taken.values().sum::<i64>(), MAX_CAMPAIGNS as i64 + 51);
        let none = taken.iter().find(|(k, _)| k.campaign.is_empty()).map(|(_, n)| *n);
        assert_eq!(none, Some(50));
    }
}
