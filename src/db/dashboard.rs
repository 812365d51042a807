//! What the organizer dashboard shows of a petition's counted signatures: per day and hour, by
//! source, referrer, share text and postal-code region, new against returning supporters. Read
//! from the aggregates (`signature_counts`, `signature_regions`) with a few grouped queries:
//! no signature is read, so a view costs the same at a thousand signatures or a million.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

use super::rollup::hour_of;

/// Signatures of one group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// What the group is (a day, an hour, a source …); empty for none.
    pub key: String,
    pub signatures: i64,
    /// Those that were the signer's first ever, on any petition.
    pub new_supporters: i64,
}

/// A petition's counted signatures, grouped every way the dashboard shows them.
#[derive(Debug, Default)]
pub struct Figures {
    /// Every counted online signature (offline counts are not in the aggregates).
    pub total: Count,
    /// Signed today, UTC.
    pub today: i64,
    /// Signed in the 7 days up to today, today included.
    pub last_7_days: i64,
    /// Every day from the first signature's to today (at most [`MAX_DAYS`], the latest), each
    /// with its count, zeros included.
    pub days: Vec<Count>,
    /// The last [`HOURS`] hours up to this one, zeros included.
    pub hours: Vec<Count>,
    pub sources: Vec<Count>,
    pub referrers: Vec<Count>,
    /// By postal-code region; most signatures first.
    pub regions: Vec<Count>,
}

/// Days the daily view goes back at most.
pub const MAX_DAYS: u64 = 366;
/// Hours the hourly view shows.
pub const HOURS: i64 = 48;

/// The figures of petition `petition_id` as of `now`.
pub async fn figures(
    db: &impl ConnectionTrait,
    petition_id: i64,
    now: DateTime<Utc>,
) -> Result<Figures, DbErr> {
    let by_day = counts_by(db, petition_id, By::Day).await?;
    let first_hour = hour_of(now - Duration::hours(HOURS - 1));
    let by_hour = grouped(db, petition_id, By::Hour, Some(&first_hour)).await?;

    let today = now.date_naive();
    let total = Count {
        key: String::new(),
        signatures: by_day.iter().map(|c| c.signatures).sum(),
        new_supporters: by_day.iter().map(|c| c.new_supporters).sum(),
    };
    let on = |day: NaiveDate| by_day.iter().find(|c| c.key == day.to_string()).map_or(0, |c| c.signatures);
    let week_start = today - Days::new(6);
    let last_7_days = by_day
        .iter()
        .filter(|c| {
            NaiveDate::parse_from_str(&c.key, "%Y-%m-%d").is_ok_and(|d| d >= week_start && d <= today)
        })
        .map(|c| c.signatures)
        .sum();
    let first_day = by_day
        .first()
        .and_then(|c| NaiveDate::parse_from_str(&c.key, "%Y-%m-%d").ok())
        .unwrap_or(today)
        .max(today - Days::new(MAX_DAYS - 1))
        .min(today);
    let days = zero_filled(&by_day, first_day.iter_days().take_while(|d| *d <= today).map(|d| d.to_string()));
    let hours = zero_filled(&by_hour, (0..HOURS).rev().map(|back| hour_of(now - Duration::hours(back))));

    let by_count = |mut v: Vec<Count>| {
        v.sort_by(|a, b| b.signatures.cmp(&a.signatures).then_with(|| a.key.cmp(&b.key)));
        v.retain(|c| c.signatures != 0);
        v
    };
    let sources = by_count(counts_by(db, petition_id, By::Source).await?);
    let referrers = by_count(counts_by(db, petition_id, By::Referrer).await?);
    let regions = by_count(counts_by(db, petition_id, By::Region).await?);
    Ok(Figures { total, today: on(today), last_7_days, days, hours, sources, referrers, regions })
}

/// `keys` in order, each with its count in `found` or zeros.
fn zero_filled(found: &[Count], keys: impl Iterator<Item = String>) -> Vec<Count> {
    let found: BTreeMap<&str, &Count> = found.iter().map(|c| (c.key.as_str(), c)).collect();
    keys.map(|key| match found.get(key.as_str()) {
        Some(c) => Count { key, ..(*c).clone() },
        None => Count { key, ..Count::default() },
    })
    .collect()
}

async fn counts(
    db: &impl ConnectionTrait,
    backend: DatabaseBackend,
    sql: String,
    values: Vec<Value>,
) -> Result<Vec<Count>, DbErr> {
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .iter()
        .map(|r| {
            Ok(Count {
                key: r.try_get::<Option<String>>("", "k")?.unwrap_or_default(),
                signatures: r.try_get::<Option<i64>>("", "n")?.unwrap_or_default(),
                new_supporters: r.try_get::<Option<i64>>("", "fresh")?.unwrap_or_default(),
            })
        })
        .collect()
}

/// Each petition's counted signatures today and in the last 7 days (UTC), for the list of
/// campaigns: by petition id.
pub async fn recent(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<BTreeMap<i64, (i64, i64)>, DbErr> {
    let backend = db.get_database_backend();
    let today = now.date_naive();
    let week_start = hour_of((today - Days::new(6)).and_time(chrono::NaiveTime::MIN).and_utc());
    let today_start = hour_of(today.and_time(chrono::NaiveTime::MIN).and_utc());
    let (a, b) = if backend == DatabaseBackend::Postgres { ("$1", "$2") } else { ("?", "?") };
    let sql = format!(
        "SELECT petition_id, CAST(SUM(CASE WHEN hour >= {a} THEN signatures ELSE 0 END) AS BIGINT) AS today, \
         CAST(SUM(signatures) AS BIGINT) AS week FROM signature_counts WHERE hour >= {b} GROUP BY petition_id"
    );
    let mut recent = BTreeMap::new();
    for r in db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [today_start.into(), week_start.into()]))
        .await?
    {
        recent.insert(
            r.try_get("", "petition_id")?,
            (
                r.try_get::<Option<i64>>("", "today")?.unwrap_or_default(),
                r.try_get::<Option<i64>>("", "week")?.unwrap_or_default(),
            ),
        );
    }
    Ok(recent)
}

/// How counts are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// `YYYY-MM-DD`, UTC.
    Day,
    /// `YYYY-MM-DDTHH`, UTC.
    Hour,
    Source,
    /// The referring site's host.
    Referrer,
    LandingPage,
    UtmCampaign,
    Region,
}

impl By {
    pub const ALL: [Self; 7] = [
        Self::Day,
        Self::Hour,
        Self::Source,
        Self::Referrer,
        Self::LandingPage,
        Self::UtmCampaign,
        Self::Region,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Hour => "hour",
            Self::Source => "source",
            Self::Referrer => "referrer",
            Self::LandingPage => "landing_page",
            Self::UtmCampaign => "utm_campaign",
            Self::Region => "region",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.name() == name)
    }
}

/// A petition's counted signatures grouped `by`, in key order (empty key: none).
pub async fn counts_by(db: &impl ConnectionTrait, petition_id: i64, by: By) -> Result<Vec<Count>, DbErr> {
    grouped(db, petition_id, by, None).await
}

/// [`counts_by`], only from hour `from_hour` (`YYYY-MM-DDTHH`) on when given (not for regions,
/// which are not kept by time).
async fn grouped(
    db: &impl ConnectionTrait,
    petition_id: i64,
    by: By,
    from_hour: Option<&str>,
) -> Result<Vec<Count>, DbErr> {
    let backend = db.get_database_backend();
    let (p, p2) = if backend == DatabaseBackend::Postgres { ("$1", "$2") } else { ("?", "?") };
    let mut values: Vec<Value> = vec![petition_id.into()];
    let sql = match by {
        By::Region => format!(
            "SELECT region AS k, CAST(signatures AS BIGINT) AS n, CAST(0 AS BIGINT) AS fresh \
             FROM signature_regions WHERE petition_id = {p} AND signatures <> 0 ORDER BY 1"
        ),
        _ => {
            let key = match by {
                By::Day => "substr(hour, 1, 10)",
                By::Hour => "hour",
                By::Source => "source",
                By::Referrer => "referrer",
                By::LandingPage => "landing_page",
                _ => "utm_campaign",
            };
            let from = match from_hour {
                Some(h) => {
                    values.push(h.into());
                    format!(" AND hour >= {p2}")
                }
                None => String::new(),
            };
            format!(
                "SELECT {key} AS k, CAST(SUM(signatures) AS BIGINT) AS n, \
                 CAST(SUM(CASE WHEN new_supporter THEN signatures ELSE 0 END) AS BIGINT) AS fresh \
                 FROM signature_counts WHERE petition_id = {p}{from} GROUP BY 1 HAVING SUM(signatures) <> 0 ORDER BY 1"
            )
        }
    };
    counts(db, backend, sql, values).await
}

/// Counted signatures of one day (UTC) from one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaySource {
    pub day: String,
    /// Empty for none.
    pub source: String,
    pub signatures: i64,
    pub new_supporters: i64,
}

/// A petition's counted signatures per day and source, oldest first.
pub async fn per_day_and_source(
    db: &impl ConnectionTrait,
    petition_id: i64,
) -> Result<Vec<DaySource>, DbErr> {
    let backend = db.get_database_backend();
    let p = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "SELECT substr(hour, 1, 10) AS day, source, CAST(SUM(signatures) AS BIGINT) AS n, \
         CAST(SUM(CASE WHEN new_supporter THEN signatures ELSE 0 END) AS BIGINT) AS fresh \
         FROM signature_counts WHERE petition_id = {p} GROUP BY 1, 2 HAVING SUM(signatures) <> 0 ORDER BY 1, 2"
    );
    db.query_all_raw(Statement::from_sql_and_values(backend, sql, [petition_id.into()]))
        .await?
        .iter()
        .map(|r| {
            Ok(DaySource {
                day: r.try_get("", "day")?,
                source: r.try_get("", "source")?,
                signatures: r.try_get::<Option<i64>>("", "n")?.unwrap_or_default(),
                new_supporters: r.try_get::<Option<i64>>("", "fresh")?.unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_are_zeros_in_order() {
        let found = [Count { key: "b".into(), signatures: 2, new_supporters: 1 }];
        let filled = zero_filled(&found, ["a", "b", "c"].into_iter().map(String::from));
        let shown: Vec<(&str, i64, i64)> =
            filled.iter().map(|c| (c.key.as_str(), c.signatures, c.new_supporters)).collect();
        assert_eq!(shown, [("a", 0, 0), ("b", 2, 1), ("c", 0, 0)]);
    }
}
