//! A delivery's public record (`/d/{id}`): what was delivered, to whom, with how many
//! signatures as of when, the breakdown, the digest of the signer list and how to check it.

use entity::delivery;
use maud::{Markup, html};

use super::{
    layout::{PageMeta, page},
    markdown::markdown,
    petition::lang_if_other,
};
use crate::{
    db::deliveries::recipients_of,
    domain::delivery::{Breakdown, MIN_CELL, timestamp},
    i18n::Locale,
};

pub struct DeliveryView<'a> {
    pub delivery: &'a delivery::Model,
    pub slug: &'a str,
    pub locale: Locale,
    /// The record's absolute address.
    pub url: String,
}

pub fn delivery_page(v: &DeliveryView<'_>) -> Markup {
    let d = v.delivery;
    let locale = v.locale;
    let own = lang_if_other(&d.locale, locale);
    let recipients = recipients_of(&d.recipients);
    let breakdown: Breakdown = serde_json::from_str(&d.breakdown).unwrap_or_default();
    let total = d.signers + d.offline;
    let mut meta = PageMeta::simple(format!("{}: {}", locale.t("delivery-eyebrow"), d.title), locale);
    meta.path = Some(format!("/d/{}", d.public_id));
    meta.canonical = Some(v.url.clone());
    let cutoff = timestamp(d.cutoff).replace('T', " ").replace('Z', "");
    let others = locale.t_with("delivery-other-worksites", &[("min", MIN_CELL.into())]).into_owned();
    page(
        &meta,
        html! {
            article.delivery {
                p.eyebrow { (locale.t("delivery-eyebrow")) }
                h1 lang=[own] { (d.title) }
                p.tally { (locale.t_with("delivery-count", &[("count", locale.count(total).into_owned().into()), ("cutoff", cutoff.clone().into())])) }
                @if d.offline > 0 {
                    p { (locale.t_with("delivery-offline", &[("offline", locale.number(d.offline).into())])) }
                }
                h2 { (locale.t("delivery-facts")) }
                dl.facts {
                    @if !recipients.is_empty() {
                        dt { (locale.t("delivery-recipients")) }
                        dd lang=[own] {
                            @for (i, r) in recipients.iter().enumerate() {
                                @if i > 0 { br; }
                                strong { (r.name) }
                                @if !r.title.is_empty() { ", " (r.title) }
                                @if !r.organisation.is_empty() { ", " (r.organisation) }
                            }
                        }
                    }
                    dt { (locale.t("delivery-delivered")) } dd { (locale.date(d.created_at)) }
                    dt { (locale.t("delivery-cutoff")) } dd { time datetime=(timestamp(d.cutoff)) { (cutoff) } }
                    dt { (locale.t("delivery-listed")) } dd { (locale.number(d.signers)) }
                    dt { (locale.t("delivery-named")) } dd { (locale.number(d.named)) }
                    dt { (locale.t("delivery-digest")) } dd { code.digest { (d.digest) } }
                }
                h2 { (locale.t("delivery-verify-heading")) }
                p { (locale.t("delivery-verify-body")) }
                p {
                    a.button href={ "/d/" (d.public_id) "/signers.csv" } download { (locale.t("delivery-download")) }
                    " "
                    a href={ "/d/" (d.public_id) "/packet.pdf" } { (locale.t("packet-download")) }
                    " · "
                    a href={ "/d/" (d.public_id) "/packet" } { (locale.t("packet-print")) }
                }
                p { (locale.t("delivery-verify-how")) }
                pre { code { "sha256sum signers.csv\nshasum -a 256 signers.csv\nundersigned verify-delivery signers.csv" } }
                h2 { (locale.t("delivery-breakdown")) }
                (counts(&locale.t("delivery-by-region"), &locale.t("delivery-region"), &locale.t("delivery-not-given"), locale, &breakdown.regions))
                @if !breakdown.worksites.is_empty() {
                    (counts(&locale.t("delivery-by-worksite"), &locale.t("delivery-worksite"), &others, locale, &breakdown.worksites))
                }
                (counts(&locale.t("delivery-by-day"), &locale.t("delivery-day"), "", locale, &breakdown.days))
                h2 { (locale.t("delivery-the-text")) }
                div.letter lang=[own] { (markdown(&d.body)) }
                p { a href={ "/p/" (v.slug) } { (locale.t("delivery-campaign")) } }
            }
        },
    )
}

/// A breakdown table; an empty key is shown as `empty`.
fn counts(caption: &str, head: &str, empty: &str, locale: Locale, rows: &[(String, i64)]) -> Markup {
    html! {
        div.scroll tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                thead { tr { th scope="col" { (head) } th scope="col" { (locale.t("delivery-signatures")) } } }
                tbody {
                    @for (key, n) in rows {
                        tr { th scope="row" { @if key.is_empty() { (empty) } @else { (key) } } td { (locale.number(*n)) } }
                    }
                }
            }
        }
    }
}

/// The packet as a page to print: the same content as the PDF (both come from one
/// [`Packet`](crate::packet::Packet)). The names are a table whose header, the statement, a
/// browser repeats on every printed page, and each name carries its number: the running count.
pub fn packet_page(p: &crate::packet::Packet, locale: Locale, back: &str) -> Markup {
    let mut meta = PageMeta::simple(p.title.clone(), locale);
    meta.bare = true;
    html! {
        (page(&meta, html! {
            article.packet lang=(p.language) {
                p.no-print { a href=(back) { (locale.t("delivery-eyebrow")) } }
                h1 { (p.title) }
                @if !p.recipients.is_empty() {
                    p { strong { (p.to_label) } }
                    ul.recipients { @for r in &p.recipients { li { (r) } } }
                }
                div.letter {
                    @for (heading, text) in &p.paragraphs {
                        @if *heading { h2 { (text) } } @else {
                            p { @for (i, l) in text.lines().enumerate() { @if i > 0 { br; } (l) } }
                        }
                    }
                }
                p.tally { (p.statement) }
                @for (heading, lines) in &p.breakdown {
                    h2 { (heading) }
                    ul.breakdown { @for l in lines { li { (l) } } }
                }
                @for v in &p.verify { p.verify { (v) } }
                @if !p.named.is_empty() {
                    table.names {
                        caption { (p.named_heading) }
                        thead {
                            tr { td colspan="3" { (p.statement) } }
                            tr {
                                th scope="col" { (locale.t("packet-col-number")) }
                                th scope="col" { (locale.t("packet-col-name")) }
                                th scope="col" { (locale.t("packet-col-detail")) }
                            }
                        }
                        tbody {
                            @for (i, (name, detail)) in p.named.iter().enumerate() {
                                tr { td.n { (locale.number(i as i64 + 1)) } th scope="row" { (name) } td { (detail) } }
                            }
                        }
                    }
                }
                @if !p.comments.is_empty() {
                    h2 { (p.comments_heading) }
                    @for (name, said) in p.comments.iter().take(crate::packet::COMMENTS) {
                        blockquote { p { "“" (said) "”" } footer { "— " (name) } }
                    }
                }
            }
        }))
    }
}
