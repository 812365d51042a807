//! Ad spend as the ad platforms export it: the daily campaign reports of Meta Ads Manager
//! (`Day, Campaign name, Amount spent (USD), Impressions, Link clicks`) and Google Ads (`Day,
//! Campaign, Cost, Impr., Clicks`, often under a title line or two and above a total row).
//! Columns are found by their header names, in any order; each row is taken or refused with a
//! reason, and nothing is guessed.

use chrono::NaiveDate;

/// The largest spend file read (a year of daily rows for hundreds of campaigns is far smaller).
pub const MAX_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// Where a file came from, told by its headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Meta,
    Google,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Self::Meta => "meta",
            Self::Google => "google",
        }
    }
}

/// One day of one campaign's spend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpendRow {
    /// The line of the file, for reports.
    pub line: u64,
    pub day: NaiveDate,
    /// Matched against the signatures' `utm_campaign`.
    pub campaign: String,
    /// In the currency's smallest unit (cents).
    pub amount_cents: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    pub impressions: Option<i64>,
    pub clicks: Option<i64>,
}

/// A row that was not taken, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub line: u64,
    pub reason: String,
}

/// A whole file, read.
#[derive(Debug)]
pub struct SpendFile {
    pub platform: Platform,
    pub rows: Vec<SpendRow>,
    pub refused: Vec<Refused>,
}

/// Header names, lower-cased, of each column.
const DAY: [&str; 4] = ["day", "date", "reporting starts", "reporting start"];
const CAMPAIGN: [&str; 2] = ["campaign name", "campaign"];
const IMPRESSIONS: [&str; 2] = ["impressions", "impr."];
const CLICKS: [&str; 3] = ["link clicks", "clicks", "link clicks (all)"];
const CURRENCY: [&str; 2] = ["currency code", "currency"];

/// Where each column is.
struct Columns {
    day: usize,
    campaign: usize,
    amount: usize,
    impressions: Option<usize>,
    clicks: Option<usize>,
    currency: Option<usize>,
    /// From the amount's header, `Amount spent (EUR)`.
    header_currency: Option<String>,
    platform: Platform,
}

fn find(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.as_str()))
}

impl Columns {
    /// The columns of a header row, if it is one.
    fn of(header: &[String]) -> Option<Self> {
        let day = find(header, &DAY)?;
        let campaign = find(header, &CAMPAIGN)?;
        let (amount, platform) = header.iter().enumerate().find_map(|(i, h)| {
            if h.starts_with("amount spent") {
                Some((i, Platform::Meta))
            } else if h == "cost" || h == "spend" {
                Some((i, Platform::Google))
            } else {
                None
            }
        })?;
        let header_currency = header[amount]
            .split_once('(')
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()));
        Some(Self {
            day,
            campaign,
            amount,
            impressions: find(header, &IMPRESSIONS),
            clicks: find(header, &CLICKS),
            currency: find(header, &CURRENCY),
            header_currency,
            platform,
        })
    }
}

/// Reads a spend file. `Err` when no header row with a day, a campaign and an amount column is
/// found in its first lines (wrong file); otherwise every row is taken or refused.
pub fn parse(bytes: &[u8]) -> Result<SpendFile, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let mut columns: Option<Columns> = None;
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    for (i, record) in reader.byte_records().enumerate() {
        let line = i as u64 + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                refused.push(Refused { line, reason: format!("not readable as CSV: {e}") });
                continue;
            }
        };
        let cells: Vec<String> = record.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        let Some(cols) = &columns else {
            let lower: Vec<String> = cells.iter().map(|c| c.to_lowercase()).collect();
            columns = Columns::of(&lower);
            if columns.is_none() && line >= 10 {
                break;
            }
            continue;
        };
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let first = cells.first().map(String::as_str).unwrap_or_default();
        // Google Ads ends with "Total: …" rows.
        if first.to_lowercase().starts_with("total") {
            continue;
        }
        match row(cols, &cells, line) {
            Ok(r) => rows.push(r),
            Err(reason) => refused.push(Refused { line, reason }),
        }
    }
    let Some(cols) = columns else {
        return Err("no header row with a day, a campaign and an amount column (such as `Day`, \
                    `Campaign name`, `Amount spent (USD)` from Meta or `Day`, `Campaign`, `Cost` \
                    from Google Ads) in the first lines"
            .into());
    };
    Ok(SpendFile { platform: cols.platform, rows, refused })
}

fn row(cols: &Columns, cells: &[String], line: u64) -> Result<SpendRow, String> {
    let cell = |i: usize| cells.get(i).map(String::as_str).unwrap_or_default();
    let day = parse_day(cell(cols.day)).ok_or_else(|| format!("{:?} is not a date", cell(cols.day)))?;
    let campaign = cell(cols.campaign).trim();
    if campaign.is_empty() || campaign.chars().any(char::is_control) || campaign.chars().count() > 255 {
        return Err(format!("{campaign:?} is not a campaign name (1 to 255 characters)"));
    }
    let amount_cents = parse_money(cell(cols.amount))
        .ok_or_else(|| format!("{:?} is not an amount of money", cell(cols.amount)))?;
    if amount_cents < 0 {
        return Err(format!("a negative amount ({})", cell(cols.amount)));
    }
    let currency = match cols.currency.map(cell).filter(|c| !c.is_empty()) {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
        Some(c) => return Err(format!("{c:?} is not a currency code")),
        None => cols.header_currency.clone().unwrap_or_else(|| "USD".into()),
    };
    let count = |i: Option<usize>, what: &str| -> Result<Option<i64>, String> {
        match i.map(cell).map(str::trim) {
            None | Some("" | "--" | "-") => Ok(None),
            Some(v) => match v.replace(',', "").parse::<i64>() {
                Ok(n) if n >= 0 => Ok(Some(n)),
                _ => Err(format!("{v:?} is not a number of {what}")),
            },
        }
    };
    Ok(SpendRow {
        line,
        day,
        campaign: campaign.to_owned(),
        amount_cents,
        currency,
        impressions: count(cols.impressions, "impressions")?,
        clicks: count(cols.clicks, "clicks")?,
    })
}

/// `2026-11-01`, `11/01/2026`, `Nov 1, 2026` or `November 1, 2026`.
fn parse_day(s: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%m/%d/%Y", "%b %d, %Y", "%B %d, %Y", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s.trim(), f).ok())
}

/// Cents as `1234.50`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (cents / 100).unsigned_abs(), (cents % 100).unsigned_abs())
}

/// `1,234.56`, `$12.50`, `12`, `-3.10`, `--` (none: 0) → cents. At most two decimals.
pub fn parse_money(s: &str) -> Option<i64> {
    let s = s.trim();
    if s == "--" {
        return Some(0);
    }
    let negative = s.starts_with('-');
    let digits: String =
        s.trim_start_matches('-').trim_start_matches(['$', '€', '£']).chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 2 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents =
        whole.parse::<i64>().ok()?.checked_mul(100)? + format!("{fraction:0<2}").parse::<i64>().ok()?;
    Some(if negative { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meta_export_is_read_by_its_headers() {
        let csv = "\u{feff}Day,Campaign name,Amount spent (USD),Impressions,Link clicks\r\n\
                   2026-11-01,nov-push,\"1,234.50\",\"10,000\",321\r\n\
                   2026-11-02,nov-push,0.99,--,\r\n";
        let file = parse(csv.as_bytes()).expect("a spend file");
        assert_eq!(file.platform, Platform::Meta);
        assert!(file.refused.is_empty(), "{:?}", file.refused);
        assert_eq!(file.rows.len(), 2);
        let r = &file.rows[0];
        assert_eq!(
            (r.amount_cents, r.currency.as_str(), r.impressions, r.clicks),
            (123_450, "USD", Some(10_000), Some(321))
        );
        assert_eq!(file.rows[1].amount_cents, 99);
        assert_eq!(file.rows[1].impressions, None);
    }

    #[test]
    fn a_google_export_with_title_lines_and_totals_is_read() {
        let csv = "Campaign report\nNovember 1, 2026 - November 2, 2026\n\
                   Campaign,Day,Currency code,Cost,Impr.,Clicks\n\
                   otono,\"Nov 1, 2026\",eur,12.5,900,40\n\
                   Total: Account,,,12.5,900,40\n";
        let file = parse(csv.as_bytes()).expect("a spend file");
        assert_eq!(file.platform, Platform::Google);
        assert_eq!(file.rows.len(), 1, "{:?}", file.refused);
        let r = &file.rows[0];
        assert_eq!((r.day.to_string(), r.campaign.as_str()), ("2026-11-01".into(), "otono"));
        assert_eq!((r.amount_cents, r.currency.as_str(), r.clicks), (1250, "EUR", Some(40)));
    }

    #[test]
    fn bad_rows_are_refused_with_their_line_and_reason() {
        let csv = "Day,Campaign,Cost\n2026-11-01,a,-5\n2026-13-01,a,5\n2026-11-01,,5\n2026-11-01,a,five\n2026-11-01,a,1.234\n2026-11-02,a,3\n";
        let file = parse(csv.as_bytes()).expect("a spend file");
        let lines: Vec<u64> = file.refused.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6], "{:?}", file.refused);
        assert!(file.refused[0].reason.contains("negative"));
        assert_eq!(file.rows.len(), 1);
    }

    #[test]
    fn a_file_without_the_columns_is_refused_whole() {
        for csv in ["name,email\nAna,ana@example.org\n", "", "Day,Campaign\n2026-11-01,a\n"] {
            assert!(parse(csv.as_bytes()).is_err(), "{csv:?}");
        }
    }

    #[test]
    fn money_is_read_to_the_cent() {
        assert_eq!(parse_money("1,234.5"), Some(123_450));
        assert_eq!(parse_money("$0.07"), Some(7));
        assert_eq!(parse_money("12"), Some(1200));
        assert_eq!(parse_money("-3.10"), Some(-310));
        for bad in ["", "1.2.3", "1e5", "abc", "1.999", ".5"] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
    }
}
