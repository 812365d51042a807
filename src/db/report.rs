//! A petition's campaign report: visits, signatures, new supporters and spend, by day, landing
//! page, `utm_campaign` and poster short code. Read from a few grouped queries over the daily and
//! hourly aggregates (the database sums; no signature is read).

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

/// One line of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    /// `total`, `day`, `landing_page`, `utm_campaign` or `short_code`.
    pub dimension: &'static str,
    pub key: String,
    /// Landing page visits (per campaign: the visits whose own link named it).
    pub visits: Option<i64>,
    /// Validated signatures.
    pub signatures: i64,
    /// Signatures that were the signer's first ever, on any petition.
    pub new_supporters: i64,
    /// Spend in cents, where there is spend for this line.
    pub spend_cents: Option<i64>,
}

impl Line {
    /// Signatures per visit.
    pub fn conversion(&self) -> Option<f64> {
        self.visits.filter(|v| *v > 0).map(|v| self.signatures as f64 / v as f64)
    }

    /// Cost per signature, in cents.
    pub fn cost_per_signature(&self) -> Option<f64> {
        per(self.spend_cents, self.signatures)
    }

    /// Cost per new supporter, in cents.
    pub fn cost_per_new_supporter(&self) -> Option<f64> {
        per(self.spend_cents, self.new_supporters)
    }
}

fn per(spend: Option<i64>, n: i64) -> Option<f64> {
    spend.filter(|_| n > 0).map(|s| s as f64 / n as f64)
}

/// The whole report.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<Line>,
    /// The spend's currency; `None` without spend. Spend in several currencies is not added up:
    /// then this names them all and no line has spend.
    pub currency: Option<String>,
    pub mixed_currencies: bool,
}

/// The report of petition `petition_id`.
pub async fn report(db: &impl ConnectionTrait, petition_id: i64) -> Result<Report, DbErr> {
    let backend = db.get_database_backend();
    let query = |sql: String| Statement::from_sql_and_values(backend, sql, [petition_id.into()]);
    let p = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };

    let landing: Vec<(i64, String)> =
        rows(db, query(format!("SELECT id, slug FROM landing_pages WHERE petition_id = {p} ORDER BY slug")))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "slug")?)))
            .collect::<Result<_, DbErr>>()?;
    let codes: Vec<(i64, String, String)> = rows(
        db,
        query(format!(
            "SELECT c.id, c.code, COALESCE(c.source, 'qr-' || c.code) AS source FROM short_codes c \
         JOIN landing_pages l ON l.id = c.landing_page_id WHERE l.petition_id = {p} ORDER BY c.code"
        )),
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "code")?, r.try_get("", "source")?)))
    .collect::<Result<_, DbErr>>()?;
    let visits: Vec<Visited> = rows(
        db,
        query(format!(
            "SELECT v.day, v.landing_page_id, v.short_code_id, v.utm_campaign, v.visits FROM landing_visits v \
             JOIN landing_pages l ON l.id = v.landing_page_id WHERE l.petition_id = {p}"
        )),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Visited {
            day: r.try_get("", "day")?,
            landing_page_id: r.try_get("", "landing_page_id")?,
            short_code_id: r.try_get("", "short_code_id")?,
            campaign: r.try_get("", "utm_campaign")?,
            visits: r.try_get("", "visits")?,
        })
    })
    .collect::<Result<_, DbErr>>()?;
    // From the aggregates, not the signatures. Empty strings there stand for none.
    let signed = rows(
        db,
        query(format!(
            "SELECT substr(hour, 1, 10) AS day, landing_page, utm_campaign, source, \
             CAST(SUM(signatures) AS BIGINT) AS n, \
             CAST(SUM(CASE WHEN new_supporter THEN signatures ELSE 0 END) AS BIGINT) AS fresh \
             FROM signature_counts WHERE petition_id = {p} GROUP BY 1, 2, 3, 4"
        )),
    )
    .await?;
    struct Group {
        day: String,
        landing_page: Option<String>,
        campaign: Option<String>,
        source: Option<String>,
        n: i64,
        fresh: i64,
    }
    let groups: Vec<Group> = signed
        .iter()
        .map(|r| {
            let text = |col: &str| -> Result<Option<String>, DbErr> {
                Ok(Some(r.try_get::<String>("", col)?).filter(|v| !v.is_empty()))
            };
            Ok(Group {
                day: r.try_get("", "day")?,
                landing_page: text("landing_page")?,
                campaign: text("utm_campaign")?,
                source: text("source")?,
                n: r.try_get("", "n")?,
                fresh: r.try_get("", "fresh")?,
            })
        })
        .collect::<Result<_, DbErr>>()?;
    let spend: Vec<Spent> = rows(
        db,
        query(format!(
            "SELECT day, campaign, landing_page_id, currency, CAST(SUM(amount_cents) AS BIGINT) AS cents \
         FROM ad_spend WHERE petition_id = {p} GROUP BY day, campaign, landing_page_id, currency"
        )),
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Spent {
            day: r.try_get("", "day")?,
            campaign: r.try_get("", "campaign")?,
            landing_page_id: r.try_get("", "landing_page_id")?,
            currency: r.try_get("", "currency")?,
            cents: r.try_get("", "cents")?,
        })
    })
    .collect::<Result<_, DbErr>>()?;

    let currencies: BTreeSet<&str> = spend.iter().map(|s| s.currency.as_str()).collect();
    let mixed = currencies.len() > 1;
    let spend_where = |keep: &dyn Fn(&Spent) -> bool| -> Option<i64> {
        let matching: Vec<i64> = spend.iter().filter(|s| keep(s)).map(|s| s.cents).collect();
        (!mixed && !matching.is_empty()).then(|| matching.iter().sum())
    };
    let sum = |keep: &dyn Fn(&Group) -> bool| -> (i64, i64) {
        groups.iter().filter(|g| keep(g)).fold((0, 0), |(n, f), g| (n + g.n, f + g.fresh))
    };
    let line = |dimension, key: String, visits, (signatures, new_supporters), spend_cents| Line {
        dimension,
        key,
        visits,
        signatures,
        new_supporters,
        spend_cents,
    };

    let mut lines = vec![line(
        "total",
        String::new(),
        Some(visits.iter().map(|v| v.visits).sum()),
        sum(&|_| true),
        spend_where(&|_| true),
    )];
    let days: BTreeSet<&str> = visits
        .iter()
        .map(|v| v.day.as_str())
        .chain(groups.iter().map(|g| g.day.as_str()))
        .chain(spend.iter().map(|s| s.day.as_str()))
        .collect();
    for d in days {
        lines.push(line(
            "day",
            d.to_owned(),
            Some(visits.iter().filter(|v| v.day == d).map(|v| v.visits).sum()),
            sum(&|g| g.day == d),
            spend_where(&|s| s.day == d),
        ));
    }
    for (id, slug) in &landing {
        lines.push(line(
            "landing_page",
            slug.clone(),
            Some(visits.iter().filter(|v| v.landing_page_id == *id).map(|v| v.visits).sum()),
            sum(&|g| g.landing_page.as_deref() == Some(slug)),
            spend_where(&|s| s.landing_page_id == *id),
        ));
    }
    // Campaigns as the signatures and the spend name them, in any letter case.
    let mut campaigns: BTreeMap<String, String> = BTreeMap::new();
    for name in
        groups.iter().filter_map(|g| g.campaign.as_deref()).chain(spend.iter().map(|s| s.campaign.as_str()))
    {
        if !name.is_empty() {
            campaigns.entry(name.to_lowercase()).or_insert_with(|| name.to_owned());
        }
    }
    for (lower, name) in &campaigns {
        lines.push(line(
            "utm_campaign",
            name.clone(),
            Some(visits.iter().filter(|v| v.campaign.to_lowercase() == *lower).map(|v| v.visits).sum()),
            sum(&|g| g.campaign.as_deref().is_some_and(|c| c.to_lowercase() == *lower)),
            spend_where(&|s| s.campaign.to_lowercase() == *lower),
        ));
    }
    for (id, code, source) in &codes {
        lines.push(line(
            "short_code",
            code.clone(),
            Some(visits.iter().filter(|v| v.short_code_id == *id).map(|v| v.visits).sum()),
            sum(&|g| g.source.as_deref() == Some(source)),
            None,
        ));
    }
    let currency = (!currencies.is_empty()).then(|| currencies.into_iter().collect::<Vec<_>>().join(", "));
    Ok(Report { lines, currency, mixed_currencies: mixed })
}

/// Visits of one day, landing page, short code and campaign.
struct Visited {
    day: String,
    landing_page_id: i64,
    short_code_id: i64,
    campaign: String,
    visits: i64,
}

/// Spend of one day, campaign (or landing page) and currency.
struct Spent {
    day: String,
    campaign: String,
    landing_page_id: i64,
    currency: String,
    cents: i64,
}

async fn rows(db: &impl ConnectionTrait, stmt: Statement) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
    db.query_all_raw(stmt).await
}
