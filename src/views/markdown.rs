//! Petition and letter texts are written in Markdown by staff and shown on public pages. What
//! Markdown can say is kept to what a page of ours may contain:
//!
//! - raw HTML is shown as the text it is, never passed through;
//! - links go only to `http`, `https` and `mailto` addresses or paths on this site (others
//!   keep their words and lose the link);
//! - images are drawn only from this site's stored images (`/images/…`: one from elsewhere
//!   would tell its host who reads the petition, and any other path here could count a visit),
//!   others are replaced by their description;
//! - headings start one level below the page's title (`#` is an `h2`);
//! - a single line break is kept as a line break, as people who do not know Markdown expect
//!   (an address block, a signature under a letter).

use maud::{Markup, PreEscaped};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd, html};

/// `text` (Markdown) as HTML that is safe to put in a page.
pub fn markdown(text: &str) -> Markup {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    // Whether each open link or image was kept, innermost last.
    let mut kept: Vec<bool> = Vec::new();
    let events = Parser::new_ext(text, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::SoftBreak => Some(Event::HardBreak),
        Event::Start(Tag::Heading { level, id, classes, attrs }) => {
            Some(Event::Start(Tag::Heading { level: lower(level), id, classes, attrs }))
        }
        Event::End(TagEnd::Heading(level)) => Some(Event::End(TagEnd::Heading(lower(level)))),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let keep = safe_link(&dest_url);
            kept.push(keep);
            keep.then_some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
            let keep = dest_url.starts_with("/images/") && local_path(&dest_url);
            kept.push(keep);
            keep.then_some(Event::Start(Tag::Image { link_type, dest_url, title, id }))
        }
        Event::End(end @ (TagEnd::Link | TagEnd::Image)) => {
            kept.pop().unwrap_or(false).then_some(Event::End(end))
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    html::push_html(&mut out, events);
    // The writer escapes every text and attribute; raw HTML was turned into text above.
    PreEscaped(out)
}

/// The words a reader sees in `text` (Markdown), on one line: for places that show no
/// formatting, such as a share card's description.
pub fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for event in Parser::new(text) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&t),
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                out.push(' ');
            }
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One level down, so that a text's headings sit under the page's own `h1`.
fn lower(level: HeadingLevel) -> HeadingLevel {
    HeadingLevel::try_from(level as usize + 1).unwrap_or(HeadingLevel::H6)
}

/// A path on this site (`/a/…`), not another host (`//evil.example`).
fn local_path(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") && !url.contains('\\')
}

/// A link a reader can follow safely.
fn safe_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    local_path(url)
        || url.starts_with('#')
        || ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(text: &str) -> String {
        markdown(text).into_string()
    }

    #[test]
    fn plain_text_keeps_its_paragraphs_and_line_breaks() {
        assert_eq!(
            md("Dear Ms Ortiz,\n\nWe ask.\nSigned,\nThe nurses"),
            "<p>Dear Ms Ortiz,</p>\n<p>We ask.<br />\nSigned,<br />\nThe nurses</p>\n"
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = md("Hello <script>alert(1)</script>\n\n<img src=x onerror=alert(1)>");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn only_safe_links_and_local_images_survive() {
        let out = md(
            "[a](javascript:alert(1)) [b](https://example.org/x) [c](/p/x) [d](//evil.example) [e](mailto:a@b.c)",
        );
        assert!(!out.contains("javascript"), "{out}");
        assert!(!out.contains("evil"), "{out}");
        assert!(out.contains(r#"<a href="https://example.org/x">b</a>"#), "{out}");
        assert!(out.contains(r#"<a href="/p/x">c</a>"#), "{out}");
        assert!(out.contains(r#"<a href="mailto:a@b.c">e</a>"#), "{out}");
        assert!(out.starts_with("<p>a "), "the words stay: {out}");
        let img = md("![a rally](https://tracker.example/p.png) ![ours](/images/abc.png) ![scan](/q/ward3)");
        assert!(!img.contains("tracker") && !img.contains("/q/ward3"), "{img}");
        assert!(img.contains("a rally") && img.contains("scan"), "{img}");
        assert!(img.contains(r#"<img src="/images/abc.png" alt="ours" />"#), "{img}");
    }

    #[test]
    fn plain_text_has_no_markup() {
        assert_eq!(plain("Firma **hoy**, [aquí](https://x.example).\nGracias"), "Firma hoy, aquí. Gracias");
    }

    #[test]
    fn headings_sit_under_the_page_title() {
        assert_eq!(md("# Why\n###### Small"), "<h2>Why</h2>\n<h6>Small</h6>\n");
    }

    #[test]
    fn attributes_cannot_be_broken_out_of() {
        let out = md(r#"[x](https://a.example/"onmouseover="alert(1))"#);
        assert!(!out.contains(r#""onmouseover"#), "{out}");
    }
}
