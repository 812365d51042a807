//! Paper signatures: sign-up sheets from a table or an event, typed in by staff one entry per
//! signer, in batches (where the sheets come from, the day they were collected, who typed them).
//!
//! An entry counts like an online signature, with source `paper`. It is told apart from every
//! other signer of the petition by its email address when it has one, and by name and postal
//! code either way: an entry that matches a signer already there (or an earlier entry of the
//! same batch) is a duplicate and is not counted again.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::{
    Attribution, Email, FieldError, FreeText, PersonName, PostalCode, SignatureInput,
    fields::postal_region,
    signing::{COMMENT_MAX, JOB_TITLE_MAX, WORKSITE_MAX},
};

/// The attribution source of every paper signature.
pub const SOURCE: &str = "paper";
/// Entries in one batch.
pub const ENTRIES_MAX: usize = 1_000;
/// Rows the form shows at first, and adds each time more are asked for.
pub const ROWS_STEP: usize = 10;
/// Rows the form shows at most.
pub const ROWS_MAX: usize = 200;
pub const LABEL_MAX: usize = 200;
/// Longest pasted text (about a thousand entries).
pub const PASTED_MAX: usize = 256 * 1024;

/// One row of the form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub postal_code: String,
    pub job_title: String,
    pub worksite: String,
    pub comment: String,
    /// The signer ticked "show my name on the delivered letter".
    pub public_name: bool,
    /// The signer ticked "email me updates".
    pub email_opt_in: bool,
}

/// The columns of a row, by their form and CSV names.
pub const COLUMNS: [&str; 9] = [
    "given_name",
    "family_name",
    "email",
    "postal_code",
    "job_title",
    "worksite",
    "comment",
    "public_name",
    "email_opt_in",
];

impl Row {
    fn is_blank(&self) -> bool {
        [
            &self.given_name,
            &self.family_name,
            &self.email,
            &self.postal_code,
            &self.job_title,
            &self.worksite,
            &self.comment,
        ]
        .iter()
        .all(|v| v.trim().is_empty())
    }

    /// Sets the column `name` (one of [`COLUMNS`]) from text.
    pub fn set(&mut self, name: &str, value: &str) {
        let value = value.to_owned();
        match name {
            "given_name" => self.given_name = value,
            "family_name" => self.family_name = value,
            "email" => self.email = value,
            "postal_code" => self.postal_code = value,
            "job_title" => self.job_title = value,
            "worksite" => self.worksite = value,
            "comment" => self.comment = value,
            "public_name" => self.public_name = ticked(&value),
            "email_opt_in" => self.email_opt_in = ticked(&value),
            _ => {}
        }
    }

    /// The column `name` as text (a ticked box is `1`).
    pub fn get(&self, name: &str) -> &str {
        match name {
            "given_name" => &self.given_name,
            "family_name" => &self.family_name,
            "email" => &self.email,
            "postal_code" => &self.postal_code,
            "job_title" => &self.job_title,
            "worksite" => &self.worksite,
            "comment" => &self.comment,
            "public_name" if self.public_name => "1",
            "email_opt_in" if self.email_opt_in => "1",
            _ => "",
        }
    }
}

/// Whether a sheet's box or a spreadsheet cell says yes.
fn ticked(v: &str) -> bool {
    matches!(v.trim().to_lowercase().as_str(), "1" | "x" | "y" | "yes" | "true" | "on" | "sí" | "si")
}

/// The whole form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaperForm {
    pub source: String,
    /// `YYYY-MM-DD`.
    pub collected_on: String,
    pub rows: Vec<Row>,
    /// Entries pasted from a spreadsheet: CSV with a header row of [`COLUMNS`] names.
    pub pasted: String,
}

/// What was wrong, by form field: `source`, `collected_on`, `pasted`, `entries`, or a row's
/// cell (`r3_email`).
pub type Problems = BTreeMap<String, String>;

/// A batch that passed its checks.
#[derive(Clone, Debug)]
pub struct Batch {
    pub source: String,
    pub collected_on: NaiveDate,
    pub entries: Vec<Entry>,
}

/// One signer of a batch.
#[derive(Clone, Debug)]
pub struct Entry {
    pub input: SignatureInput,
    /// Who they are when they have no email address: their supporter key (see [`person_key`]).
    pub canonical: String,
    /// Name and postal code, folded ([`name_key`]); `None` without a postal code.
    pub name_key: Option<String>,
}

impl PaperForm {
    /// Checks the batch and every entry (rows typed, then rows pasted); all problems at once.
    /// `country` is the petition's postal country; the day collected cannot be after `today`.
    pub fn parse(&self, country: &str, today: NaiveDate) -> Result<Batch, Problems> {
        let mut problems = Problems::new();
        let source = self.source.split_whitespace().collect::<Vec<_>>().join(" ");
        if source.is_empty() {
            problems.insert("source".into(), "Say where the sheets come from.".into());
        } else if source.chars().count() > LABEL_MAX {
            problems.insert("source".into(), format!("At most {LABEL_MAX} characters."));
        }
        let collected_on = match NaiveDate::parse_from_str(self.collected_on.trim(), "%Y-%m-%d") {
            // A day ahead of UTC: staff east of it enter today's sheets in their morning.
            Ok(d) if d > today + chrono::Duration::days(1) => {
                problems.insert("collected_on".into(), "The day collected cannot be in the future.".into());
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                problems.insert("collected_on".into(), "Write the day like 2026-11-27.".into());
                None
            }
        };
        let mut entries = Vec::new();
        for (i, row) in self.rows.iter().enumerate() {
            if row.is_blank() {
                continue;
            }
            match entry(row, country) {
                Ok(e) => entries.push(e),
                Err(cells) => {
                    for (name, why) in cells {
                        problems.insert(format!("r{i}_{name}"), why);
                    }
                }
            }
        }
        match pasted_rows(&self.pasted) {
            Ok(rows) => {
                let mut wrong = Vec::new();
                for (line, row) in rows {
                    match entry(&row, country) {
                        Ok(e) => entries.push(e),
                        Err(cells) => {
                            wrong.extend(cells.into_iter().map(|(c, why)| format!("line {line}, {c}: {why}")))
                        }
                    }
                }
                if !wrong.is_empty() {
                    let more = if wrong.len() > 10 {
                        format!(" (and {} more)", wrong.len() - 10)
                    } else {
                        String::new()
                    };
                    wrong.truncate(10);
                    problems.insert(
                        "pasted".into(),
                        format!("Fix these and enter again: {}{more}.", wrong.join("; ")),
                    );
                }
            }
            Err(why) => {
                problems.insert("pasted".into(), why);
            }
        }
        if entries.is_empty() && problems.is_empty() {
            problems.insert("entries".into(), "Type at least one signer, or paste them.".into());
        }
        if entries.len() > ENTRIES_MAX {
            problems
                .insert("entries".into(), format!("At most {ENTRIES_MAX} signers in one batch: split it."));
        }
        match collected_on {
            Some(collected_on) if problems.is_empty() => Ok(Batch { source, collected_on, entries }),
            _ => Err(problems),
        }
    }
}

/// The rows of pasted CSV (with their line numbers), by its header; empty rows are skipped.
fn pasted_rows(text: &str) -> Result<Vec<(u64, Row)>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    if text.len() > PASTED_MAX {
        return Err(format!("At most {} KiB at once: split it into batches.", PASTED_MAX / 1024));
    }
    // A spreadsheet copied to the clipboard gives tabs; a CSV file gives commas.
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains('\t') {
        b'\t'
    } else if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| "The first line must name the columns.".to_owned())?
        .iter()
        .map(|h| h.trim().to_lowercase().replace([' ', '-'], "_"))
        .collect();
    let unknown: Vec<&str> = header.iter().map(String::as_str).filter(|h| !COLUMNS.contains(h)).collect();
    if !unknown.is_empty() {
        return Err(format!(
            "Unknown columns: {}. The first line names the columns, from: {}.",
            unknown.join(", "),
            COLUMNS.join(", ")
        ));
    }
    if !header.iter().any(|h| h == "given_name") || !header.iter().any(|h| h == "family_name") {
        return Err(
            "The first line must name the columns, with given_name and family_name among them.".into()
        );
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("That is not CSV ({e})."))?;
        let line = record.position().map_or(0, csv::Position::line);
        // A cell more than the columns named (an unquoted comma, say) would shift the cells
        // after it into the wrong columns, a tick among them.
        if record.len() > header.len() {
            return Err(format!(
                "Line {line} has {} cells, and the first line names {} columns: put a cell with a comma in quotes.",
                record.len(),
                header.len()
            ));
        }
        let mut row = Row::default();
        for (name, value) in header.iter().zip(record.iter()) {
            row.set(name, value);
        }
        if !row.is_blank() {
            rows.push((line, row));
        }
    }
    Ok(rows)
}

/// One entry, or what is wrong with it by column.
fn entry(row: &Row, country: &str) -> Result<Entry, Vec<(&'static str, String)>> {
    let mut wrong: Vec<(&'static str, String)> = Vec::new();
    let mut check = |name: &'static str, e: FieldError| wrong.push((name, sentence(e)));
    let given = PersonName::parse(&row.given_name).map_err(|e| check("given_name", e)).ok();
    let family = PersonName::parse(&row.family_name).map_err(|e| check("family_name", e)).ok();
    let email = if row.email.trim().is_empty() {
        Some(None)
    } else {
        Email::parse(&row.email).map(Some).map_err(|e| check("email", e)).ok()
    };
    let postal = if row.postal_code.trim().is_empty() {
        Some(None)
    } else {
        PostalCode::parse(&row.postal_code, country).map(Some).map_err(|e| check("postal_code", e)).ok()
    };
    let text = |raw: &str, max: usize, multiline: bool| {
        FreeText::parse(raw, max, multiline).map(|t| t.map(FreeText::into_inner))
    };
    let job_title = text(&row.job_title, JOB_TITLE_MAX, false).map_err(|e| check("job_title", e)).ok();
    let worksite = text(&row.worksite, WORKSITE_MAX, false).map_err(|e| check("worksite", e)).ok();
    let comment = text(&row.comment, COMMENT_MAX, true).map_err(|e| check("comment", e)).ok();
    if matches!((&email, &postal), (Some(None), Some(None))) {
        wrong.push((
            "postal_code",
            "An email address or a postal code is needed, to tell this signer from others.".into(),
        ));
    }
    let (
        Some(given),
        Some(family),
        Some(email),
        Some(postal),
        Some(job_title),
        Some(worksite),
        Some(comment),
    ) = (given, family, email, postal, job_title, worksite, comment)
    else {
        return Err(wrong);
    };
    if !wrong.is_empty() {
        return Err(wrong);
    }
    let name_key = postal.as_ref().map(|p| name_key(given.as_str(), family.as_str(), p.as_str()));
    let canonical = match &email {
        Some(e) => e.canonical(),
        // Checked above: without an address there is a postal code.
        None => person_key(name_key.as_deref().unwrap_or_default()),
    };
    let input = SignatureInput {
        region: postal.as_ref().map_or_else(String::new, |c| postal_region(c.as_str(), country)),
        given_name: given,
        family_name: family,
        email,
        postal_code: postal,
        phone: None,
        employer: None,
        job_title,
        worksite,
        comment,
        email_opt_in: row.email_opt_in && !row.email.trim().is_empty(),
        public_name: row.public_name,
        attribution: Attribution { source: Some(SOURCE.to_owned()), ..Attribution::default() },
        suspected_bot: false,
        network_hash: None,
    };
    Ok(Entry { input, canonical, name_key })
}

/// A field error as a sentence for staff.
fn sentence(e: FieldError) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| format!("{}{}.", c.to_uppercase(), chars.as_str()))
}

/// Name and postal code as compared: letters in lower case and without accents (sheets are
/// often typed without them), curly apostrophes as straight ones, runs of space as one; the
/// postal code without spaces or hyphens, a US ZIP+4 as its ZIP.
pub fn name_key(given: &str, family: &str, postal: &str) -> String {
    use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};
    let fold = |s: &str| {
        let plain: String = s
            .nfkd()
            .filter(|c| !is_combining_mark(*c))
            .map(
                |c| if matches!(c, '\u{2018}' | '\u{2019}' | '\u{02bc}' | '`' | '\u{b4}') { '\'' } else { c },
            )
            .collect();
        plain.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
    };
    let postal = postal.trim();
    let zip_plus_4 = postal.len() == 10
        && postal.as_bytes().get(5) == Some(&b'-')
        && postal.bytes().enumerate().all(|(i, b)| i == 5 || b.is_ascii_digit());
    let postal = if zip_plus_4 { &postal[..5] } else { postal };
    let postal: String = postal.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    format!("{}\u{1f}{}\u{1f}{}", fold(given), fold(family), postal.to_uppercase())
}

/// What candidates for [`name_key`] matches are looked up by: the first three letters or
/// digits of the postal code (in upper case, without spaces or hyphens).
pub fn postal_prefix(postal: &str) -> String {
    postal.to_uppercase().chars().filter(|c| !c.is_whitespace() && *c != '-').take(3).collect()
}

/// The supporter key of a paper signer without an email address: `paper:` and a hash of
/// their name and postal code (the same person on two sheets is one supporter).
pub fn person_key(name_key: &str) -> String {
    format!("paper:{}", &hex::encode(Sha256::digest(name_key.as_bytes()))[..32])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
    }

    fn row(given: &str, family: &str, email: &str, postal: &str) -> Row {
        Row {
            given_name: given.into(),
            family_name: family.into(),
            email: email.into(),
            postal_code: postal.into(),
            ..Row::default()
        }
    }

    fn form(rows: Vec<Row>, pasted: &str) -> PaperForm {
        PaperForm {
            source: " Cafeteria  table ".into(),
            collected_on: "2026-11-26".into(),
            rows,
            pasted: pasted.into(),
        }
    }

    #[test]
    fn a_batch_keeps_its_entries_and_skips_blank_rows() {
        let rows =
            vec![row("Ana", "Ortiz", "", "94110"), Row::default(), row("Bo", "Lee", "bo@example.org", "")];
        let b = form(rows, "").parse("US", today()).expect("valid");
        assert_eq!(b.source, "Cafeteria table");
        assert_eq!(b.entries.len(), 2);
        let ana = &b.entries[0];
        assert!(ana.input.email.is_none());
        assert!(ana.canonical.starts_with("paper:"));
        assert_eq!(ana.input.attribution.source.as_deref(), Some(SOURCE));
        assert_eq!(b.entries[1].canonical, "bo@example.org");
        assert!(b.entries[1].name_key.is_none());
    }

    #[test]
    fn every_problem_is_told_beside_its_cell() {
        let rows = vec![row("Ana", "", "not-an-address", ""), row("Bo", "Lee", "", "")];
        let mut f = form(rows, "");
        f.source = String::new();
        f.collected_on = "2026-11-29".into();
        let problems = f.parse("US", today()).expect_err("invalid");
        let keys: Vec<&str> = problems.keys().map(String::as_str).collect();
        assert_eq!(keys, ["collected_on", "r0_email", "r0_family_name", "r1_postal_code", "source"]);
        assert!(problems["collected_on"].contains("future"));
        assert_eq!(form(vec![], "").parse("US", today()).expect_err("empty").len(), 1);
    }

    #[test]
    fn pasted_rows_are_read_by_their_header() {
        let pasted = "Given name\tFamily name\tPostal code\tPublic name\nAna\tOrtiz\t94110\tx\n\t\t\t\nBo\tLee\t9411\t\n";
        let problems = form(vec![], pasted).parse("US", today()).expect_err("bad ZIP");
        assert!(problems["pasted"].contains("line 4, postal_code"), "{problems:?}");
        let ok = "given_name,family_name,email,public_name\nAna,Ortiz,ana@example.org,yes\n";
        let b = form(vec![], ok).parse("US", today()).expect("valid");
        assert!(b.entries[0].input.public_name);
        let unknown = form(vec![], "name,zip\nAna,94110\n").parse("US", today()).expect_err("unknown");
        assert!(unknown["pasted"].contains("Unknown columns: name, zip"));
        // An unquoted comma would move a tick into "name on the letter": refused.
        let shifted = "given_name,family_name,job_title,email_opt_in,public_name\nBo,Lee,Nurse, RN,1,\n";
        let problems = form(vec![], shifted).parse("US", today()).expect_err("too many cells");
        assert!(problems["pasted"].contains("Line 2 has 6 cells"), "{problems:?}");
    }

    #[test]
    fn the_same_person_has_the_same_keys() {
        let a = name_key("Ana  María", "Ortiz", "94110");
        assert_eq!(a, name_key("ana maría", "ORTIZ", "94110"));
        assert_eq!(name_key("Jo", "Smith", "SW1A 1AA"), name_key("jo", "smith", "sw1a1aa"));
        assert_ne!(a, name_key("Ana María", "Ortiz", "94111"));
        assert_eq!(person_key(&a), person_key(&name_key("ANA MARÍA", "ortiz", "94110")));
        assert_eq!(person_key(&a).len(), "paper:".len() + 32);
        // Accents typed or not, composed or not; curly or straight apostrophes; ZIP+4.
        assert_eq!(name_key("Maria", "Diaz", "94110"), name_key("María", "Di\u{301}az", "94110-1234"));
        assert_eq!(name_key("Seán", "O’Brien", "1011 AB"), name_key("Sean", "O'Brien", "1011AB"));
        assert_ne!(name_key("Ana", "Ruiz", "94110"), name_key("Ana", "Ruiz", "94111"));
        assert_eq!(postal_prefix("1011 ab"), "101");
        assert_eq!(postal_prefix("00-950"), postal_prefix("00950"));
    }
}
