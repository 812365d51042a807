//! The delivery packet as a PDF, made here (no browser, no outside service): the letter and its
//! recipients, the count as of the cut-off, the breakdown, the signers who agreed to be named in
//! columns under the statement and a running count repeated on every page, a selection of their
//! comments, and the digest with the address that verifies it.
//!
//! DejaVu Sans is embedded (only the glyphs used), so Spanish and other Latin accents, Greek,
//! Cyrillic, Hebrew, Arabic and the other scripts it covers print as typed; a name in a script
//! it lacks (Chinese, Devanagari…) prints as empty boxes. Text is shaped with rustybuzz, the
//! shaper the PDF writer (krilla) uses itself, run by run in the visual order the Unicode
//! bidirectional algorithm gives a line (a Hebrew name in a Latin line reads right to left,
//! within a line that reads left to right).

use krilla::{
    Document,
    geom::Point,
    metadata::Metadata,
    page::PageSettings,
    surface::Surface,
    text::{Font, GlyphId, KrillaGlyph},
};

static REGULAR: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

/// US Letter, in points.
const LETTER: (f32, f32) = (612.0, 792.0);
const MARGIN: f32 = 54.0;
const BODY: f32 = 11.0;
const SMALL: f32 = 8.5;
const NAME: f32 = 9.5;
/// How many comments the packet shows at most.
pub const COMMENTS: usize = 60;

/// What the packet says, already in the letter's language.
#[derive(Clone, Debug, Default)]
pub struct Packet {
    pub title: String,
    /// "To:" and the recipients, one a line.
    pub to_label: String,
    pub recipients: Vec<String>,
    /// The letter, as paragraphs; a heading is bold.
    pub paragraphs: Vec<(bool, String)>,
    /// "1,234 people signed as of 2026-11-27 17:00 (UTC)".
    pub statement: String,
    /// Breakdown sections: a heading and its lines ("941: 120").
    pub breakdown: Vec<(String, Vec<String>)>,
    /// The heading over the names.
    pub named_heading: String,
    /// The named signers: name, then job title and worksite if any.
    pub named: Vec<(String, String)>,
    /// The running count under the statement on each page of names: `{from}`, `{to}` and
    /// `{of}` are replaced.
    pub running: String,
    pub comments_heading: String,
    pub comments: Vec<(String, String)>,
    /// The closing lines: the digest and where to verify it.
    pub verify: Vec<String>,
    /// "Page {page} of {pages}".
    pub page_label: String,
    /// The letter's language, whose way of grouping thousands the running count uses.
    pub locale: crate::i18n::Locale,
    pub landscape: bool,
    pub language: String,
}

/// A font, with the shaper's view of it.
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
}

impl Face {
    fn new(data: &'static [u8]) -> Result<Self, String> {
        let font = Font::new(data.into(), 0).ok_or("the font cannot be read")?;
        let shaper = rustybuzz::Face::from_slice(data, 0).ok_or("the font cannot be shaped")?;
        Ok(Self { font, shaper })
    }

    /// The glyphs of `text` (one direction) and its width at `size`.
    fn shape(&self, text: &str, rtl: bool, size: f32) -> (Vec<KrillaGlyph>, f32) {
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        buffer.set_direction(if rtl {
            rustybuzz::Direction::RightToLeft
        } else {
            rustybuzz::Direction::LeftToRight
        });
        let out = rustybuzz::shape(&self.shaper, &[], buffer);
        let upem = self.shaper.units_per_em() as f32;
        let infos = out.glyph_infos();
        let positions = out.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = 0.0;
        // Glyphs come in visual order: a right-to-left run's clusters fall, so each glyph's
        // text ends where the glyph before it (in the text's order) begins.
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let start = info.cluster as usize;
            let end = if rtl {
                infos[..i].iter().rev().map(|g| g.cluster as usize).find(|c| *c != start)
            } else {
                infos.iter().skip(i + 1).map(|g| g.cluster as usize).find(|c| *c != start)
            }
            .unwrap_or(text.len())
            .max(start);
            let x_advance = pos.x_advance as f32 / upem;
            width += x_advance;
            glyphs.push(KrillaGlyph {
                glyph_id: GlyphId::new(info.glyph_id),
                text_range: start..end,
                x_advance,
                x_offset: pos.x_offset as f32 / upem,
                y_offset: pos.y_offset as f32 / upem,
                y_advance: pos.y_advance as f32 / upem,
                location: None,
            });
        }
        (glyphs, width * size)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        runs(text).into_iter().map(|(run, rtl)| self.shape(run, rtl, size).1).sum()
    }
}

/// `text` (one line) as runs of one direction, in the order they are drawn from left to right,
/// each with whether it reads right to left.
fn runs(text: &str) -> Vec<(&str, bool)> {
    if text.is_ascii() {
        return vec![(text, false)];
    }
    // The page reads left to right, whatever a line starts with.
    let bidi = unicode_bidi::BidiInfo::new(text, Some(unicode_bidi::Level::ltr()));
    let Some(paragraph) = bidi.paragraphs.first() else { return vec![(text, false)] };
    let (levels, ranges) = bidi.visual_runs(paragraph, paragraph.range.clone());
    ranges
        .into_iter()
        .filter_map(|r| {
            let rtl = levels.get(r.start).is_some_and(|l| l.is_rtl());
            text.get(r).filter(|t| !t.is_empty()).map(|t| (t, rtl))
        })
        .collect()
}

/// Draws `text` with its baseline at `(x, y)`.
fn draw(surface: &mut Surface<'_>, face: &Face, x: f32, y: f32, size: f32, text: &str) {
    let mut x = x;
    for (run, rtl) in runs(text) {
        let (glyphs, width) = face.shape(run, rtl, size);
        surface.draw_glyphs(Point::from_xy(x, y), &glyphs, face.font.clone(), run, size, false);
        x += width;
    }
}

/// `text` cut (with an ellipsis) to fit `width`.
fn fit(face: &Face, text: &str, size: f32, width: f32) -> String {
    if face.width(text, size) <= width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if face.width(&candidate, size) <= width { lo = mid } else { hi = mid - 1 }
    }
    chars[..lo].iter().collect::<String>().trim_end().to_owned() + "…"
}

/// `text` broken into lines no wider than `width`, at spaces (a word wider than a line is cut).
fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0.0;
    for word in text.split_whitespace() {
        let w = face.width(word, size);
        if !line.is_empty() && used + space + w > width {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        if line.is_empty() && w > width {
            lines.push(fit(face, word, size, width));
            continue;
        }
        if !line.is_empty() {
            line.push(' ');
            used += space;
        }
        line.push_str(word);
        used += w;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// A page being filled from the top.
struct Cursor {
    y: f32,
    bottom: f32,
}

/// One page's drawing, kept until the page count is known (for "Page 2 of 9").
enum Op {
    Text { bold: bool, x: f32, y: f32, size: f32, text: String },
}

/// Lays the packet out and writes the PDF.
/// Packets made at once, by the public record and the email sender alike (each takes a core
/// for up to seconds, on a blocking thread).
static TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Runs `make` (which makes a packet) on a blocking thread, in its turn.
pub async fn in_turn<T: Send + 'static>(make: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let _turn = TURNS.acquire().await.map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(make).await.map_err(|e| e.to_string())
}

/// The PDF packet of delivery `d` (its record at `url`), in its language, made in turn.
pub async fn pdf_of(d: entity::delivery::Model, url: String, landscape: bool) -> Result<Vec<u8>, String> {
    in_turn(move || pdf(&of_delivery(&d, crate::i18n::Locale::parse(&d.locale), &url, landscape))).await?
}

pub fn pdf(p: &Packet) -> Result<Vec<u8>, String> {
    let regular = Face::new(REGULAR)?;
    let bold = Face::new(BOLD)?;
    let (w, h) = if p.landscape { (LETTER.1, LETTER.0) } else { LETTER };
    let text_width = w - 2.0 * MARGIN;
    let mut pages: Vec<Vec<Op>> = vec![Vec::new()];
    let top = MARGIN + 14.0;
    let bottom = h - MARGIN - 18.0;
    let mut c = Cursor { y: top, bottom };
    let line = |pages: &mut Vec<Vec<Op>>, c: &mut Cursor, b: bool, size: f32, text: String, gap: f32| {
        if c.y + size * 1.35 > c.bottom {
            pages.push(Vec::new());
            c.y = top;
        }
        c.y += size * 1.35;
        if let Some(page) = pages.last_mut() {
            page.push(Op::Text { bold: b, x: MARGIN, y: c.y, size, text });
        }
        c.y += gap;
    };
    // The letter.
    for l in wrap(&bold, &p.title, 18.0, text_width) {
        line(&mut pages, &mut c, true, 18.0, l, 0.0);
    }
    c.y += 10.0;
    if !p.recipients.is_empty() {
        line(&mut pages, &mut c, true, BODY, p.to_label.clone(), 0.0);
        for r in &p.recipients {
            for l in wrap(&regular, r, BODY, text_width) {
                line(&mut pages, &mut c, false, BODY, l, 0.0);
            }
        }
        c.y += 10.0;
    }
    for (heading, text) in &p.paragraphs {
        let face = if *heading { &bold } else { &regular };
        for l in text.lines().flat_map(|t| wrap(face, t, BODY, text_width)) {
            line(&mut pages, &mut c, *heading, BODY, l, 0.0);
        }
        c.y += 6.0;
    }
    c.y += 8.0;
    for l in wrap(&bold, &p.statement, 14.0, text_width) {
        line(&mut pages, &mut c, true, 14.0, l, 0.0);
    }
    c.y += 6.0;
    for (heading, lines) in &p.breakdown {
        line(&mut pages, &mut c, true, BODY, heading.clone(), 0.0);
        for l in lines {
            line(&mut pages, &mut c, false, SMALL + 1.0, fit(&regular, l, SMALL + 1.0, text_width), 0.0);
        }
        c.y += 6.0;
    }
    for v in &p.verify {
        for l in wrap(&regular, v, SMALL + 1.0, text_width) {
            line(&mut pages, &mut c, false, SMALL + 1.0, l, 0.0);
        }
    }
    // The names, in columns, each page headed by the statement and the running count.
    if !p.named.is_empty() {
        let columns: usize = if p.landscape { 5 } else { 3 };
        let gutter = 12.0;
        let col_width = (text_width - gutter * (columns as f32 - 1.0)) / columns as f32;
        let has_detail = p.named.iter().any(|(_, d)| !d.is_empty());
        let row = if has_detail { NAME * 1.3 + SMALL * 1.25 } else { NAME * 1.4 };
        let head_height = 14.0 * 1.35 + 11.0 * 1.35 + 14.0;
        let rows = (((bottom - top) - head_height) / row).floor().max(1.0) as usize;
        let per_page = rows * columns;
        let total = p.named.len();
        let number = |n: usize| p.locale.number(i64::try_from(n).unwrap_or(i64::MAX));
        for (chunk_index, chunk) in p.named.chunks(per_page).enumerate() {
            let mut ops = Vec::with_capacity(chunk.len() * 2 + 4);
            let mut y = top + 14.0 * 1.35;
            ops.push(Op::Text {
                bold: true,
                x: MARGIN,
                y,
                size: 12.0,
                text: fit(&bold, &p.statement, 12.0, text_width),
            });
            let from = chunk_index * per_page + 1;
            let to = from + chunk.len() - 1;
            let running = p.named_heading.clone()
                + " · "
                + &p.running
                    .replace("{from}", &number(from))
                    .replace("{to}", &number(to))
                    .replace("{of}", &number(total));
            y += 11.0 * 1.35;
            ops.push(Op::Text {
                bold: false,
                x: MARGIN,
                y,
                size: 9.5,
                text: fit(&regular, &running, 9.5, text_width),
            });
            let first_row = y + 14.0;
            for (i, (name, detail)) in chunk.iter().enumerate() {
                let (col, r) = (i / rows, i % rows);
                let x = MARGIN + col as f32 * (col_width + gutter);
                let y = first_row + r as f32 * row + NAME;
                ops.push(Op::Text {
                    bold: false,
                    x,
                    y,
                    size: NAME,
                    text: fit(&regular, name, NAME, col_width),
                });
                if !detail.is_empty() {
                    ops.push(Op::Text {
                        bold: false,
                        x,
                        y: y + SMALL * 1.25,
                        size: SMALL,
                        text: fit(&regular, detail, SMALL, col_width),
                    });
                }
            }
            pages.push(ops);
        }
    }
    // A selection of comments.
    if !p.comments.is_empty() {
        pages.push(Vec::new());
        c.y = top;
        line(&mut pages, &mut c, true, 14.0, p.comments_heading.clone(), 4.0);
        for (name, comment) in p.comments.iter().take(COMMENTS) {
            for l in wrap(&regular, &format!("“{comment}”"), BODY, text_width) {
                line(&mut pages, &mut c, false, BODY, l, 0.0);
            }
            line(&mut pages, &mut c, true, SMALL + 1.0, format!("— {name}"), 6.0);
        }
    }
    // Write it, with page numbers.
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new().title(p.title.clone()).language(p.language.clone()).creator("Undersigned".into()),
    );
    let count = pages.len();
    for (i, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(w, h).ok_or("bad page size")?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            let Op::Text { bold: b, x, y, size, text } = op;
            draw(&mut surface, if *b { &bold } else { &regular }, *x, *y, *size, text);
        }
        let label =
            p.page_label.replace("{page}", &(i + 1).to_string()).replace("{pages}", &count.to_string());
        let lw = regular.width(&label, SMALL);
        draw(&mut surface, &regular, w - MARGIN - lw, h - MARGIN + 4.0, SMALL, &label);
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| format!("{e:?}"))
}

/// The packet of delivery `d` in `locale`: everything comes from what the delivery froze (its
/// words, recipients, counts, breakdown and signer list), so it prints the same every time.
pub fn of_delivery(
    d: &entity::delivery::Model,
    locale: crate::i18n::Locale,
    verify_url: &str,
    landscape: bool,
) -> Packet {
    use crate::{db::deliveries::recipients_of, domain::delivery::Breakdown};
    let cutoff = crate::domain::delivery::timestamp(d.cutoff).replace('T', " ").replace('Z', "");
    let total = d.signers + d.offline;
    let args = [("count", total.into()), ("n", locale.number(total).into()), ("cutoff", cutoff.into())];
    let statement = locale.t_with("packet-statement", &args).into_owned();
    let recipients = recipients_of(&d.recipients)
        .into_iter()
        .map(|r| {
            [r.name, r.title, r.organisation]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect();
    let breakdown: Breakdown = serde_json::from_str(&d.breakdown).unwrap_or_default();
    let unknown = locale.t("delivery-not-given").into_owned();
    let others = locale
        .t_with("delivery-other-worksites", &[("min", crate::domain::delivery::MIN_CELL.into())])
        .into_owned();
    let section = |heading: &str, empty: &str, rows: &[(String, i64)]| {
        let lines = rows
            .iter()
            .map(|(k, n)| format!("{}: {}", if k.is_empty() { empty } else { k.as_str() }, locale.number(*n)))
            .collect();
        (heading.to_owned(), lines)
    };
    let mut sections = vec![section(&locale.t("delivery-by-region"), &unknown, &breakdown.regions)];
    if !breakdown.worksites.is_empty() {
        sections.push(section(&locale.t("delivery-by-worksite"), &others, &breakdown.worksites));
    }
    sections.push(section(&locale.t("delivery-by-day"), "", &breakdown.days));
    let (named, comments) = named_signers(&d.signers_csv);
    let running = locale
        .t_with("packet-running", &[("from", "{from}".into()), ("to", "{to}".into()), ("of", "{of}".into())])
        .into_owned();
    Packet {
        title: d.title.clone(),
        to_label: locale.t("to-recipients").into_owned(),
        recipients,
        paragraphs: paragraphs(&d.body),
        statement,
        breakdown: sections,
        named_heading: locale.t("packet-named").into_owned(),
        named,
        running,
        comments_heading: locale.t("packet-comments").into_owned(),
        comments,
        verify: vec![
            locale.t_with("packet-digest", &[("digest", d.digest.clone().into())]).into_owned(),
            locale.t_with("packet-verify", &[("url", verify_url.to_owned().into())]).into_owned(),
        ],
        page_label: locale
            .t_with("packet-page", &[("page", "{page}".into()), ("pages", "{pages}".into())])
            .into_owned(),
        locale,
        landscape,
        language: d.locale.clone(),
    }
}

/// Two texts: a name and its detail, or a name and what they said.
pub type Line = (String, String);

/// The named signers of a signer list (name, then job title and worksite), and their comments.
pub fn named_signers(list: &str) -> (Vec<Line>, Vec<Line>) {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(list.as_bytes());
    let headers = reader.headers().cloned().unwrap_or_default();
    let at = |name: &str| headers.iter().position(|h| h == name);
    let (name, job, worksite, comment) = (at("name"), at("job_title"), at("worksite"), at("comment"));
    let mut named = Vec::new();
    let mut comments = Vec::new();
    for record in reader.records().flatten() {
        // The list makes a would-be formula text with a `'`; the packet prints what was typed.
        let get = |i: Option<usize>| {
            let cell = i.and_then(|i| record.get(i)).unwrap_or_default();
            match cell.strip_prefix('\'') {
                Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t']) => rest.to_owned(),
                _ => cell.to_owned(),
            }
        };
        let who = get(name);
        if who.is_empty() {
            continue;
        }
        let detail =
            [get(job), get(worksite)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ");
        let said = get(comment);
        if !said.is_empty() {
            comments.push((who.clone(), said));
        }
        named.push((who, detail));
    }
    (named, comments)
}

/// A Markdown text as plain paragraphs (headings bold).
pub fn paragraphs(markdown: &str) -> Vec<(bool, String)> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = Vec::new();
    let mut current = String::new();
    let mut heading = false;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = true,
            Event::Text(t) | Event::Code(t) => current.push_str(&t),
            Event::Html(t) | Event::InlineHtml(t) => current.push_str(&t),
            // Single line breaks are kept, as on the page (an address, a signature).
            Event::SoftBreak | Event::HardBreak => current.push('\n'),
            Event::Start(Tag::Item) => current.push_str("• "),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock,
            ) => {
                let text = tidy(&current);
                if !text.is_empty() {
                    out.push((heading, text));
                }
                current.clear();
                heading = false;
            }
            _ => {}
        }
    }
    let rest = tidy(&current);
    if !rest.is_empty() {
        out.push((heading, rest));
    }
    out
}

/// Each line's spaces made single, empty lines dropped.
fn tidy(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_keep_their_line_breaks() {
        let p = paragraphs("# To the board\n\nDear board,\n\nThe nurses\nof 3 West\n\n- one\n- two");
        assert_eq!(
            p,
            [
                (true, "To the board".to_owned()),
                (false, "Dear board,".to_owned()),
                (false, "The nurses\nof 3 West".to_owned()),
                (false, "• one".to_owned()),
                (false, "• two".to_owned()),
            ]
        );
    }

    #[test]
    fn named_signers_print_what_they_typed() {
        let list = "reference,signed_at,region,name,comment\na,2026-11-27T09:00:00Z,941,'@ana,'- we need staff\nb,2026-11-27T09:00:00Z,941,,\n";
        let (named, comments) = named_signers(list);
        assert_eq!(named, [("@ana".to_owned(), String::new())]);
        assert_eq!(comments, [("@ana".to_owned(), "- we need staff".to_owned())]);
    }

    #[test]
    fn right_to_left_text_keeps_its_text() {
        let face = Face::new(REGULAR).unwrap_or_else(|e| panic!("{e}"));
        let text = "שלום";
        let (glyphs, width) = face.shape(text, true, NAME);
        assert!(width > 0.0);
        let mut covered: Vec<_> = glyphs.iter().map(|g| g.text_range.clone()).collect();
        covered.sort_by_key(|r| r.start);
        assert_eq!(covered.first().map(|r| r.start), Some(0));
        assert_eq!(covered.last().map(|r| r.end), Some(text.len()));
        assert!(covered.iter().all(|r| r.end > r.start), "{covered:?}");
    }

    #[test]
    fn a_line_mixing_directions_is_drawn_in_visual_runs() {
        // A Latin name, a Hebrew one, and Latin again: three runs, the middle right to left.
        let line = "Ana Ruiz, שלום כהן, ICU";
        let mixed = runs(line);
        assert_eq!(mixed.iter().map(|(_, rtl)| *rtl).collect::<Vec<_>>(), [false, true, false], "{mixed:?}");
        assert_eq!(mixed[1].0.trim(), "שלום כהן");
        assert_eq!(mixed.iter().map(|(t, _)| t.len()).sum::<usize>(), line.len(), "every byte drawn once");
        // An Arabic name alone is one right-to-left run; ASCII is one run as it is.
        assert_eq!(runs("مريم"), [("مريم", true)]);
        assert_eq!(runs("Ana Ruiz"), [("Ana Ruiz", false)]);
        // A line that starts with a Hebrew name still reads left to right around it.
        let first = runs("שלום כהן, ICU");
        assert_eq!(first, [("שלום כהן", true), (", ICU", false)]);
        let face = Face::new(REGULAR).unwrap_or_else(|e| panic!("{e}"));
        let whole: f32 = face.width(line, NAME);
        assert!(whole > face.width("Ana Ruiz, ICU", NAME));
    }

    #[test]
    fn text_wraps_within_its_width_and_long_names_are_cut() {
        let face = Face::new(REGULAR).unwrap_or_else(|e| panic!("{e}"));
        let text = "We ask the board for safe staffing on every ward, every shift, every day of the year.";
        let lines = wrap(&face, text, BODY, 200.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines.iter().all(|l| face.width(l, BODY) <= 200.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let cut = fit(&face, "Maria de los Ángeles Fernández-Villanueva y Rodríguez", NAME, 100.0);
        assert!(cut.ends_with('…') && face.width(&cut, NAME) <= 100.0, "{cut}");
        assert_eq!(fit(&face, "Ana", NAME, 100.0), "Ana");
    }
}
