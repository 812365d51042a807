//! Deliveries: which columns a signer list has, the list itself in its one canonical form (the
//! bytes its SHA-256 is taken over), and the breakdown a delivery states.
//!
//! The signer list is a CSV file, and its digest is the SHA-256 of exactly its bytes, so anyone
//! holding it can check a delivery with `sha256sum` (or `undersigned verify-delivery`):
//! - UTF-8 without a byte order mark, lines ended by `\n` (the last line too), a header line;
//! - one line per signature counted by the cut-off (validated, signed at or before it), in the
//!   order signed (then by id);
//! - the columns `reference,signed_at,region` and then, in this order, those the delivery
//!   includes of `name,job_title,worksite,comment`;
//! - `reference`: 16 hex digits, a keyed hash of the signature (stable, and reveals nothing);
//!   `signed_at`: the hour it was signed, RFC 3339 in UTC (`2026-11-27T09:00:00Z`: no finer, so
//!   no one's signature can be matched to the minute against a workplace's own logs); `region`:
//!   the start of the postal code (`941` of a US ZIP code);
//! - the other columns are empty unless the signer agreed to be named (`public_name`); a line
//!   break in them becomes a space, and one starting with `=`, `+`, `-` or `@` (which a
//!   spreadsheet would run as a formula) gets a `'` before it;
//! - a cell is quoted (`"…"`, a quote doubled) only when it holds a comma or a quote.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A column a delivery may add to its signer list (named signers only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Name,
    JobTitle,
    Worksite,
    Comment,
}

impl Column {
    pub const ALL: [Self; 4] = [Self::Name, Self::JobTitle, Self::Worksite, Self::Comment];

    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::JobTitle => "job_title",
            Self::Worksite => "worksite",
            Self::Comment => "comment",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key.trim())
    }
}

/// The columns a delivery includes, in the list's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns(Vec<Column>);

impl Columns {
    /// From keys in any order; unknown keys are refused (with the first of them).
    pub fn parse<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut chosen = Vec::new();
        for key in keys.into_iter().map(str::trim).filter(|k| !k.is_empty()) {
            let column = Column::parse(key).ok_or_else(|| key.to_owned())?;
            if !chosen.contains(&column) {
                chosen.push(column);
            }
        }
        chosen.sort_unstable();
        Ok(Self(chosen))
    }

    pub fn has(&self, c: Column) -> bool {
        self.0.contains(&c)
    }

    pub fn iter(&self) -> impl Iterator<Item = Column> + '_ {
        self.0.iter().copied()
    }

    /// As stored: `name,worksite`.
    pub fn stored(&self) -> String {
        self.0.iter().map(|c| c.key()).collect::<Vec<_>>().join(",")
    }
}

/// One signature as a delivery sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    pub id: i64,
    pub signed_at: DateTime<Utc>,
    pub region: String,
    /// `None` unless the signer agreed to be named.
    pub named: Option<Named>,
    /// Counted in the worksite breakdown whether named or not.
    pub worksite: Option<String>,
}

/// What a named signer shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub job_title: Option<String>,
    pub comment: Option<String>,
}

/// A signature's reference in signer lists: the first 64 bits of an HMAC of its id.
pub fn reference(key: &[u8], signature_id: i64) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else { return String::new() };
    mac.update(b"delivery-signer:");
    mac.update(signature_id.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..8])
}

/// RFC 3339 in UTC, to the second.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The hour of `at`, as the list writes it.
pub fn hour(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:00:00Z").to_string()
}

/// A cell as the list writes it: quoted only when it must be. Line breaks become spaces, so a
/// line is one signature; a spreadsheet formula is made text.
fn cell(out: &mut String, value: &str) {
    let mut value: String = value.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
    if value.starts_with(['=', '+', '-', '@', '\t']) {
        value.insert(0, '\'');
    }
    if value.contains([',', '"']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&value);
    }
}

/// The signer list in its canonical form (see the module's documentation).
pub fn signer_list(key: &[u8], columns: &Columns, signers: &[Signer]) -> String {
    let mut out = String::with_capacity(64 * (signers.len() + 1));
    out.push_str("reference,signed_at,region");
    for c in columns.iter() {
        out.push(',');
        out.push_str(c.key());
    }
    out.push('\n');
    for s in signers {
        out.push_str(&reference(key, s.id));
        out.push(',');
        out.push_str(&hour(s.signed_at));
        out.push(',');
        cell(&mut out, &s.region);
        for c in columns.iter() {
            out.push(',');
            let value = s.named.as_ref().map_or("", |n| match c {
                Column::Name => n.name.as_str(),
                Column::JobTitle => n.job_title.as_deref().unwrap_or_default(),
                Column::Worksite => s.worksite.as_deref().unwrap_or_default(),
                Column::Comment => n.comment.as_deref().unwrap_or_default(),
            });
            cell(&mut out, value);
        }
        out.push('\n');
    }
    out
}

/// SHA-256 of `bytes`, hex.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a signer list says of itself: its digest, its signatures, and the first and last
/// time signed. `Err` when it is not a signer list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub digest: String,
    pub signatures: usize,
    pub named: usize,
    pub first: Option<String>,
    pub last: Option<String>,
}

pub fn check(bytes: &[u8]) -> Result<Checked, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8 text".to_owned())?;
    let mut lines = text.split_terminator('\n');
    let header = lines.next().ok_or("the file is empty")?;
    if !header.starts_with("reference,signed_at,region") {
        return Err("the first line is not a signer list's header (reference,signed_at,region…)".into());
    }
    let name_at = header.split(',').position(|h| h == "name");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
    let (mut signatures, mut named, mut first, mut last) = (0, 0, None, None);
    for record in reader.records() {
        let record = record.map_err(|e| format!("line {}: {e}", signatures + 2))?;
        let at = record.get(1).unwrap_or_default().to_owned();
        if DateTime::parse_from_rfc3339(&at).is_err() {
            return Err(format!("line {}: {at:?} is not a time", signatures + 2));
        }
        if name_at.and_then(|i| record.get(i)).is_some_and(|n| !n.is_empty()) {
            named += 1;
        }
        first.get_or_insert_with(|| at.clone());
        last = Some(at);
        signatures += 1;
    }
    Ok(Checked { digest: digest(bytes), signatures, named, first, last })
}

/// A cut-off as staff type it, in UTC: `2026-11-27 17:00`, with seconds, a `T`, or RFC 3339
/// with its own offset. Empty: now.
pub fn parse_cutoff(raw: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some(now);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    let plain = raw.replace('T', " ");
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .into_iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&plain, f).ok())
        .map(|at| at.and_utc())
}

/// The fewest signers a worksite of the breakdown shows; smaller ones are counted together
/// (under an empty key).
pub const MIN_CELL: i64 = 5;

/// Counts per region, worksite and day (UTC), each sorted by key.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Breakdown {
    pub regions: Vec<(String, i64)>,
    pub worksites: Vec<(String, i64)>,
    pub days: Vec<(String, i64)>,
}

impl Breakdown {
    pub fn of(signers: &[Signer]) -> Self {
        let mut regions: BTreeMap<String, i64> = BTreeMap::new();
        let mut worksites: BTreeMap<String, i64> = BTreeMap::new();
        let mut days: BTreeMap<String, i64> = BTreeMap::new();
        for s in signers {
            *regions.entry(s.region.clone()).or_default() += 1;
            if let Some(w) = s.worksite.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
                *worksites.entry(w.to_owned()).or_default() += 1;
            }
            *days.entry(s.signed_at.format("%Y-%m-%d").to_string()).or_default() += 1;
        }
        // A worksite fewer than MIN_CELL people named is counted with the others: a free-text
        // worksite of one or two signers could name them.
        let mut shown: Vec<(String, i64)> = Vec::new();
        let mut others = 0;
        for (worksite, n) in worksites {
            if n >= MIN_CELL { shown.push((worksite, n)) } else { others += n }
        }
        if others > 0 {
            shown.push((String::new(), others));
        }
        Self { regions: regions.into_iter().collect(), worksites: shown, days: days.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, h, 30, 0).single().unwrap_or_default()
    }

    fn signers() -> Vec<Signer> {
        vec![
            Signer {
                id: 1,
                signed_at: at(9),
                region: "941".into(),
                named: Some(Named {
                    name: "José Núñez".into(),
                    job_title: Some("RN, nights".into()),
                    comment: Some("Staff \"3 West\"\nnow".into()),
                }),
                worksite: Some("3 West".into()),
            },
            Signer {
                id: 2,
                signed_at: at(10),
                region: "100".into(),
                named: None,
                worksite: Some("ICU".into()),
            },
        ]
    }

    #[test]
    fn the_list_is_one_exact_text() {
        let cols = Columns::parse(["worksite", "name", "comment", "job_title"]).unwrap_or_default();
        let list = signer_list(b"key", &cols, &signers());
        let r1 = reference(b"key", 1);
        let r2 = reference(b"key", 2);
        assert_eq!(
            list,
            format!(
                "reference,signed_at,region,name,job_title,worksite,comment\n\
                 {r1},2026-11-27T09:00:00Z,941,José Núñez,\"RN, nights\",3 West,\"Staff \"\"3 West\"\" now\"\n\
                 {r2},2026-11-27T10:00:00Z,100,,,,\n"
            )
        );
        assert_eq!(r1.len(), 16);
        assert_ne!(reference(b"other key", 1), r1, "keyed");
        assert_eq!(signer_list(b"key", &cols, &signers()), list, "the same every time");
    }

    #[test]
    fn any_change_of_a_signer_changes_the_digest() {
        let cols = Columns::parse(["name"]).unwrap_or_default();
        let base = digest(signer_list(b"k", &cols, &signers()).as_bytes());
        let mut changed = signers();
        changed[1].region = "101".into();
        let mut added = signers();
        added.push(Signer { id: 3, signed_at: at(11), region: "941".into(), named: None, worksite: None });
        let mut removed = signers();
        removed.pop();
        let mut renamed = signers();
        if let Some(n) = renamed[0].named.as_mut() {
            n.name = "Jose Nunez".into();
        }
        for other in [changed, added, removed, renamed] {
            assert_ne!(digest(signer_list(b"k", &cols, &other).as_bytes()), base);
        }
    }

    #[test]
    fn formulas_are_made_text() {
        let mut one = signers();
        one.truncate(1);
        if let Some(n) = one[0].named.as_mut() {
            n.name = "=HYPERLINK(\"x\")".into();
            n.comment = Some("@SUM(A1)".into());
        }
        let list = signer_list(b"k", &Columns::parse(["name", "comment"]).unwrap_or_default(), &one);
        assert!(list.ends_with(",941,\"'=HYPERLINK(\"\"x\"\")\",'@SUM(A1)\n"), "{list}");
    }

    #[test]
    fn a_list_checks_itself() {
        let cols = Columns::parse(["name", "comment"]).unwrap_or_default();
        let list = signer_list(b"k", &cols, &signers());
        let checked = check(list.as_bytes());
        assert_eq!(
            checked,
            Ok(Checked {
                digest: digest(list.as_bytes()),
                signatures: 2,
                named: 1,
                first: Some("2026-11-27T09:00:00Z".into()),
                last: Some("2026-11-27T10:00:00Z".into()),
            })
        );
        assert!(check(b"name,email\nx,y\n").is_err());
        assert!(check(b"reference,signed_at,region\nab,yesterday,941\n").is_err());
        assert!(check(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn columns_are_known_and_in_one_order() {
        assert_eq!(
            Columns::parse(["comment", "name", "name"]).map(|c| c.stored()),
            Ok("name,comment".into())
        );
        assert_eq!(Columns::parse(["email"]), Err("email".into()));
        assert_eq!(Columns::parse([""]).map(|c| c.stored()), Ok(String::new()));
    }

    #[test]
    fn cut_offs_are_read_in_utc() {
        let now = at(12);
        assert_eq!(parse_cutoff("", now), Some(now));
        assert_eq!(parse_cutoff("2026-11-27 09:30", now), Some(at(9)));
        assert_eq!(parse_cutoff("2026-11-27T09:30:00", now), Some(at(9)));
        assert_eq!(parse_cutoff("2026-11-27T10:30:00+01:00", now), Some(at(9)));
        assert_eq!(parse_cutoff(" 2026-11-27T09:30:00Z ", now), Some(at(9)));
        for bad in ["yesterday", "2026-13-01 10:00", "27/11/2026", "2026-11-27"] {
            assert_eq!(parse_cutoff(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn the_breakdown_counts_everyone() {
        let b = Breakdown::of(&signers());
        assert_eq!(b.regions, [("100".to_owned(), 1), ("941".to_owned(), 1)]);
        assert_eq!(b.worksites, [(String::new(), 2)], "small worksites are not told apart");
        let mut many = signers();
        for id in 3..8 {
            many.push(Signer {
                id,
                signed_at: at(11),
                region: "941".into(),
                named: None,
                worksite: Some("ICU".into()),
            });
        }
        assert_eq!(Breakdown::of(&many).worksites, [("ICU".to_owned(), 6), (String::new(), 1)]);
        assert_eq!(b.days, [("2026-11-27".to_owned(), 2)]);
    }
}
