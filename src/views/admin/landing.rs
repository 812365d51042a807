//! The landing page editor: an ad's own page for a campaign, its hero image and its posters'
//! short codes.

use maud::{Markup, html};

use super::{Chrome, admin_page, csrf_field, error_summary, language_name, select_error, title_or_untitled};
use crate::{
    domain::landing::{
        ALT_MAX, BUTTON_MAX, COPY_MAX, CodeForm, FormErrors, HEADLINE_MAX, LABEL_MAX, LandingForm,
        SOURCE_MAX, URL_MAX,
    },
    i18n::LOCALES,
};

/// A landing page as listed on its campaign's page.
pub struct LandingRow {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub status: &'static str,
}

/// A short code as listed.
pub struct CodeRow {
    pub code: String,
    pub label: String,
    pub source: String,
}

/// The stored hero image.
pub struct HeroImage {
    pub path: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

/// A landing page that exists: what the editor shows besides its form.
pub struct ExistingLanding<'a> {
    pub id: i64,
    /// `draft`, `live` or `retired`, as stored.
    pub status: &'static str,
    pub image: Option<HeroImage>,
    pub image_error: Option<String>,
    pub codes: &'a [CodeRow],
    pub code_form: &'a CodeForm,
    pub code_errors: &'a FormErrors,
    /// The CSRF token for the upload form, which cannot carry it in its body.
    pub upload_action: String,
}

pub struct LandingEditor<'a> {
    pub chrome: Chrome<'a>,
    pub campaign_id: i64,
    pub campaign_title: &'a str,
    pub existing: Option<ExistingLanding<'a>>,
    pub form: &'a LandingForm,
    pub errors: &'a FormErrors,
}

/// A labelled one-line input with its hint and error.
fn text(name: &str, label: &str, value: &str, hint: Option<&str>, max: usize, errors: &FormErrors) -> Markup {
    let error = errors.get(name);
    let hint_id = format!("h-{name}");
    let err_id = format!("e-{name}");
    let described: Vec<&str> =
        [hint.map(|_| hint_id.as_str()), error.map(|_| err_id.as_str())].into_iter().flatten().collect();
    let described = (!described.is_empty()).then(|| described.join(" "));
    html! {
        div.field.has-error[error.is_some()] {
            label for={ "f-" (name) } { (label) }
            @if let Some(h) = hint { p.hint id=(hint_id) { (h) } }
            @if let Some(e) = error { p.error id=(err_id) { span.visually-hidden { "Error: " } (e) } }
            input id={ "f-" (name) } name=(name) type="text" value=(value) maxlength=(max)
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
        }
    }
}

pub fn landing_editor(v: &LandingEditor<'_>) -> Markup {
    let f = v.form;
    let title = match &v.existing {
        Some(_) => format!("Landing page: {}", title_or_untitled(f.headline.trim())),
        None => "New landing page".to_owned(),
    };
    let action = match &v.existing {
        Some(e) => format!("/admin/landing/{}", e.id),
        None => format!("/admin/campaigns/{}/landing", v.campaign_id),
    };
    let slug_fixed = v.existing.as_ref().is_some_and(|e| e.status != "draft");
    admin_page(
        &title,
        &v.chrome,
        html! {
            h1 { (title) }
            p {
                "For the campaign " a href={ "/admin/campaigns/" (v.campaign_id) } { (title_or_untitled(v.campaign_title)) } "."
                @if let Some(e) = &v.existing { @if e.status == "live" { " Live at " a href={ "/a/" (f.slug.trim()) } { "/a/" (f.slug.trim()) } "." } }
            }
            (error_summary(v.errors.iter().map(|(name, e)| (*name, e.as_str()))))
            form.edit method="post" action=(action) novalidate {
                (csrf_field(v.chrome.csrf))
                (text("slug", "Address", &f.slug, Some(if slug_fixed { "Fixed once the page has been live: ads link to it." } else { "The page will be /a/ followed by this." }), 100, v.errors))
                div.field.has-error[v.errors.contains_key("locale")] {
                    label for="f-locale" { "Language" }
                    @let (shown, invalid, described) = select_error("locale", v.errors.get("locale").map(String::as_str));
                    (shown)
                    select #f-locale name="locale" aria-invalid=[invalid] aria-describedby=[described] {
                        @for l in LOCALES { option value=(l.tag()) selected[l.tag() == f.locale.trim()] { (language_name(l)) } }
                    }
                }
                (text("headline", "Headline", &f.headline, None, HEADLINE_MAX, v.errors))
                div.field.has-error[v.errors.contains_key("body")] {
                    label for="f-body" { "Copy" }
                    p.hint id="h-body" { "A few lines under the headline. Markdown, like the campaign's text." }
                    @if let Some(e) = v.errors.get("body") { p.error id="e-body" { span.visually-hidden { "Error: " } (e) } }
                    textarea #f-body name="body" rows="5" maxlength=(COPY_MAX) aria-invalid=[v.errors.get("body").map(|_| "true")]
                        aria-describedby=(if v.errors.contains_key("body") { "h-body e-body" } else { "h-body" }) { (f.body) }
                }
                (text("button_text", "Button text (optional)", &f.button_text, Some("Left empty, the button says “Sign the petition”."), BUTTON_MAX, v.errors))
                (text("video_url", "Video (optional)", &f.video_url, Some("https://… — shown as a link; nothing loads from the video's site until a visitor taps it."), URL_MAX, v.errors))
                (text("source", "Source of its visitors (optional)", &f.source, Some("Credited to visits that bring none of their own, like meta or google."), SOURCE_MAX, v.errors))
                (text("image_alt", "What the image shows", &f.image_alt, Some("For people who cannot see it, and for share previews. Needed before a page with an image goes live."), ALT_MAX, v.errors))
                div.field.has-error[v.errors.contains_key("status")] {
                    label for="f-status" { "Status" }
                    @let (shown, invalid, described) = select_error("status", v.errors.get("status").map(String::as_str));
                    (shown)
                    select #f-status name="status" aria-invalid=[invalid] aria-describedby=[described] {
                        @for (value, label) in [("draft", "Draft (not public)"), ("live", "Live"), ("retired", "Retired (its ads have ended)")] {
                            option value=(value) selected[value == f.status.trim()] { (label) }
                        }
                    }
                }
                button type="submit" { "Save" }
            }
            @if let Some(e) = &v.existing { (image_section(e)) (codes_section(v.chrome.csrf, e)) }
        },
    )
}

fn image_section(e: &ExistingLanding<'_>) -> Markup {
    html! {
        h2 #image { "Image" }
        @if let Some(img) = &e.image {
            div.hero { img src=(img.path) alt=(img.alt) width=(img.width) height=(img.height); }
            p.hint { (img.width) " × " (img.height) " pixels." }
        }
        p { "PNG, JPEG or WebP, up to 10 MB and at least 200 pixels on each side. What a camera writes into a photo (where and when it was taken, the device) is removed, the photo is turned upright, and one wider than 2,000 pixels is scaled down." }
        form.edit method="post" action=(e.upload_action) enctype="multipart/form-data" novalidate {
            div.field.has-error[e.image_error.is_some()] {
                label for="f-image" { "Image file" }
                @if let Some(err) = &e.image_error { p.error id="e-image" { span.visually-hidden { "Error: " } (err) } }
                input #f-image type="file" name="image" accept="image/png,image/jpeg,image/webp"
                    aria-invalid=[e.image_error.as_ref().map(|_| "true")] aria-describedby=[e.image_error.as_ref().map(|_| "e-image")];
            }
            div.field {
                label for="f-upload_alt" { "What it shows" }
                input #f-upload_alt type="text" name="alt" maxlength=(ALT_MAX);
            }
            button.secondary type="submit" { "Upload" }
        }
    }
}

fn codes_section(csrf: &str, e: &ExistingLanding<'_>) -> Markup {
    html! {
        h2 #codes { "Poster short codes" }
        p { "A short code is a short link for a poster or flyer (/q/code), printed as a QR code. Its visits and signatures are credited to it." }
        @if !e.codes.is_empty() {
            div.scroll tabindex="0" role="region" aria-label="Short codes" { table {
                thead { tr { th scope="col" { "Link" } th scope="col" { "Where" } th scope="col" { "Source" } th scope="col" { "QR code" } } }
                tbody {
                    @for c in e.codes {
                        tr {
                            td { a href={ "/q/" (c.code) } { "/q/" (c.code) } }
                            td { (c.label) }
                            td { (c.source) }
                            td { a href={ "/q/" (c.code) "/qr.svg" } { "SVG" } " · " a href={ "/q/" (c.code) "/qr.png" } { "PNG" } }
                        }
                    }
                }
            } }
        }
        form.edit method="post" action={ "/admin/landing/" (e.id) "/codes" } novalidate {
            (csrf_field(csrf))
            (text("code", "Code", &e.code_form.code, Some("Short, lower-case, easy to type, like ward3."), 32, e.code_errors))
            (text("label", "Where the poster hangs (optional)", &e.code_form.label, None, LABEL_MAX, e.code_errors))
            (text("code_source", "Source (optional; else qr-code)", &e.code_form.source, None, SOURCE_MAX, e.code_errors))
            button.secondary type="submit" { "Add the short code" }
        }
    }
}
