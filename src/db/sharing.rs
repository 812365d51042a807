//! A petition's sharing report: share clicks and the signatures they brought, per network, and
//! the referral tree (who came through whose link), by share code only: nothing here names a
//! person.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement};

use super::share_texts;
use crate::{
    domain::{share::Network, share_text::interval},
    i18n::Locale,
};

/// Share clicks and signatures for one network (or all of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkLine {
    /// A network's name (`whatsapp`, …), or `total`.
    pub key: String,
    pub clicks: i64,
    /// Validated signatures whose first touch was a link shared to this network.
    pub signatures: i64,
}

impl NetworkLine {
    /// Signatures per click.
    pub fn per_click(&self) -> Option<f64> {
        (self.clicks > 0).then(|| self.signatures as f64 / self.clicks as f64)
    }
}

/// One signer's share code and what their link brought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sharer {
    pub code: String,
    /// Signatures that came straight through this signer's link.
    pub brought: i64,
    /// Every signature down the tree from this signer: those they brought, those those brought…
    pub reach: i64,
}

/// Share clicks and signatures for one share text.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLine {
    /// `None`: the site's own wording (clicks while the page's language had no live text).
    pub id: Option<i64>,
    pub locale: Option<Locale>,
    pub text: String,
    pub live: bool,
    pub clicks: i64,
    /// Validated signatures whose first touch was a link shared with it.
    pub signatures: i64,
}

impl TextLine {
    /// Signatures per click.
    pub fn per_click(&self) -> Option<f64> {
        (self.clicks > 0).then(|| self.signatures as f64 / self.clicks as f64)
    }

    /// The 95% interval of signatures per click.
    pub fn interval(&self) -> Option<(f64, f64)> {
        interval(self.signatures, self.clicks)
    }
}

/// The whole sharing report.
#[derive(Debug, Default)]
pub struct Sharing {
    /// `total` first, then every network in the order of share buttons.
    pub networks: Vec<NetworkLine>,
    /// The site's own wording, then each share text staff wrote, oldest first; empty when
    /// there are none.
    pub texts: Vec<TextLine>,
    /// Validated signatures that came through another signer's link on this petition.
    pub referred: i64,
    /// Signers whose link brought at least one signature.
    pub sharers: i64,
    /// The longest chain of signers each brought by the one before (1: a referred signer whose
    /// referrer came on their own; 0: nobody was referred).
    pub deepest_chain: i64,
    /// The sharers who brought most, best first (at most [`TOP_SHARERS`]).
    pub top: Vec<Sharer>,
}

impl Sharing {
    /// Signatures brought per sharer.
    pub fn per_sharer(&self) -> Option<f64> {
        (self.sharers > 0).then(|| self.referred as f64 / self.sharers as f64)
    }
}

/// How many sharers the report lists.
pub const TOP_SHARERS: usize = 10;

/// Share clicks and the signatures they brought, per network: `total` first, then every
/// network in the order of share buttons.
pub async fn networks(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<NetworkLine>, DbErr> {
    let backend = db.get_database_backend();
    let p = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };
    let query = |sql: String| Statement::from_sql_and_values(backend, sql, [petition_id.into()]);
    let mut clicks: HashMap<String, i64> = HashMap::new();
    for r in db
        .query_all_raw(query(format!(
            "SELECT network, CAST(SUM(clicks) AS BIGINT) AS n FROM share_clicks \
             WHERE petition_id = {p} GROUP BY network"
        )))
        .await?
    {
        clicks.insert(r.try_get("", "network")?, r.try_get("", "n")?);
    }
    let mut signed: HashMap<String, i64> = HashMap::new();
    for r in db
        .query_all_raw(query(format!(
            "SELECT source, CAST(SUM(signatures) AS BIGINT) AS n FROM signature_counts \
             WHERE petition_id = {p} AND source LIKE 'share-%' GROUP BY source"
        )))
        .await?
    {
        let source: String = r.try_get("", "source")?;
        if let Some(network) = source.strip_prefix("share-") {
            signed.insert(network.to_owned(), r.try_get("", "n")?);
        }
    }
    let mut networks: Vec<NetworkLine> = Network::ALL
        .iter()
        .map(|n| NetworkLine {
            key: n.slug().to_owned(),
            clicks: clicks.get(n.slug()).copied().unwrap_or_default(),
            signatures: signed.get(n.slug()).copied().unwrap_or_default(),
        })
        .collect();
    let total = NetworkLine {
        key: "total".to_owned(),
        clicks: networks.iter().map(|l| l.clicks).sum(),
        signatures: networks.iter().map(|l| l.signatures).sum(),
    };
    networks.insert(0, total);

    Ok(networks)
}

/// The sharing report of petition `petition_id`.
pub async fn sharing(db: &impl ConnectionTrait, petition_id: i64) -> Result<Sharing, DbErr> {
    let backend = db.get_database_backend();
    let p = if backend == DatabaseBackend::Postgres { "$1" } else { "?" };
    let query = |sql: String| Statement::from_sql_and_values(backend, sql, [petition_id.into()]);
    let networks = networks(db, petition_id).await?;

    // Every referral on this petition between counted signatures: the referred signature's code
    // and its referrer's. Only referred signatures are read (the referrer found through the
    // unique share-code index).
    let mut parent: HashMap<String, String> = HashMap::new();
    for r in db
        .query_all_raw(query(format!(
            "SELECT s.share_code, s.ref_code FROM signatures s \
             JOIN signatures r ON r.share_code = s.ref_code AND r.petition_id = s.petition_id \
             WHERE s.petition_id = {p} AND s.status = 'validated' AND r.status = 'validated'"
        )))
        .await?
    {
        parent.insert(r.try_get("", "share_code")?, r.try_get("", "ref_code")?);
    }
    let (deepest_chain, reach) = tree(&parent);
    let mut brought: BTreeMap<&str, i64> = BTreeMap::new();
    for referrer in parent.values() {
        *brought.entry(referrer).or_default() += 1;
    }
    let mut top: Vec<Sharer> = brought
        .iter()
        .map(|(code, n)| Sharer {
            code: (*code).to_owned(),
            brought: *n,
            reach: reach.get(*code).copied().unwrap_or_default(),
        })
        .collect();
    top.sort_by(|a, b| b.brought.cmp(&a.brought).then(b.reach.cmp(&a.reach)).then(a.code.cmp(&b.code)));
    top.truncate(TOP_SHARERS);
    Ok(Sharing {
        networks,
        texts: texts(db, petition_id).await?,
        referred: i64::try_from(parent.len()).unwrap_or(i64::MAX),
        sharers: i64::try_from(brought.len()).unwrap_or(i64::MAX),
        deepest_chain,
        top,
    })
}

/// Each share text's clicks and signatures, after those of the site's own wording; empty when
/// the petition has no share texts.
pub async fn texts(db: &impl ConnectionTrait, petition_id: i64) -> Result<Vec<TextLine>, DbErr> {
    let texts = share_texts::of_petition(db, petition_id).await?;
    if texts.is_empty() {
        return Ok(Vec::new());
    }
    let figures = share_texts::figures(db, petition_id).await?;
    let own = TextLine {
        id: None,
        locale: None,
        text: String::new(),
        live: true,
        clicks: figures.get(&0).map_or(0, |a| a.clicks),
        signatures: share_texts::default_signatures(db, petition_id).await?,
    };
    let written = texts.into_iter().map(|t| {
        let arm = figures.get(&t.id).copied().unwrap_or_default();
        TextLine {
            id: Some(t.id),
            locale: Some(t.locale),
            text: t.text,
            live: t.live,
            clicks: arm.clicks,
            signatures: arm.signatures,
        }
    });
    Ok(std::iter::once(own).chain(written).collect())
}

/// From each referred code's referrer: the longest chain of referrals, and how many signatures
/// sit below each code. Codes are made at signing, so a referrer always signed first and the
/// tree has no cycle; a cycle (only possible by editing the database) is cut where found.
fn tree(parent: &HashMap<String, String>) -> (i64, HashMap<&str, i64>) {
    let mut depth: HashMap<&str, i64> = HashMap::with_capacity(parent.len());
    for start in parent.keys() {
        // Walk up until a code with a known depth (or a root), then fill the path back down.
        let mut path: Vec<&str> = Vec::new();
        let mut on_path: HashSet<&str> = HashSet::new();
        let mut at: &str = start;
        let base = loop {
            if let Some(d) = depth.get(at) {
                break *d;
            }
            match parent.get(at) {
                Some(up) if on_path.insert(at) => {
                    path.push(at);
                    at = up;
                }
                _ => break 0,
            }
        };
        for (i, code) in path.iter().rev().enumerate() {
            depth.insert(code, base + 1 + i as i64);
        }
    }
    let deepest = depth.values().copied().max().unwrap_or(0);
    // Children before parents: each adds itself and its own reach to its referrer.
    let mut order: Vec<(&str, i64)> = depth.iter().map(|(c, d)| (*c, *d)).collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut reach: HashMap<&str, i64> = HashMap::new();
    for (code, _) in order {
        let below = reach.get(code).copied().unwrap_or_default();
        if let Some(up) = parent.get(code) {
            *reach.entry(up.as_str()).or_default() += 1 + below;
        }
    }
    (deepest, reach)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(c, p)| ((*c).to_owned(), (*p).to_owned())).collect()
    }

    #[test]
    fn chains_and_reach_follow_the_tree() {
        // a brought b and c; b brought d; d brought e. f came on its own and brought g.
        let parent = links(&[("b", "a"), ("c", "a"), ("d", "b"), ("e", "d"), ("g", "f")]);
        let (deepest, reach) = tree(&parent);
        assert_eq!(deepest, 3);
        assert_eq!(reach.get("a"), Some(&4));
        assert_eq!(reach.get("b"), Some(&2));
        assert_eq!(reach.get("d"), Some(&1));
        assert_eq!(reach.get("f"), Some(&1));
        assert_eq!(reach.get("e"), None);
    }

    #[test]
    fn no_referral_is_no_chain_and_a_cycle_ends() {
        assert_eq!(tree(&HashMap::new()).0, 0);
        let (deepest, _) = tree(&links(&[("a", "b"), ("b", "a")]));
        assert!(deepest <= 2);
    }
}
