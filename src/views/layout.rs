//! The page shell every public page shares.

use std::sync::LazyLock;

use maud::{DOCTYPE, Markup, html};
use sha2::{Digest, Sha256};

use crate::i18n::{LOCALES, Locale};

/// The stylesheet, served by the binary itself.
pub const CSS: &str = include_str!("app.css");

/// The one script: it adds what needs JavaScript to work (a copy button) to pages that work
/// without it.
pub const JS: &str = include_str!("app.js");

/// The site icon (SVG).
pub const ICON: &str = include_str!("icon.svg");

/// A short content hash for the stylesheet URL, so it can be cached forever.
pub static CSS_VERSION: LazyLock<String> =
    LazyLock::new(|| hex::encode(&Sha256::digest(CSS.as_bytes())[..6]));

/// A short content hash for the script URL, so it can be cached forever.
pub static JS_VERSION: LazyLock<String> = LazyLock::new(|| hex::encode(&Sha256::digest(JS.as_bytes())[..6]));

/// What the `<head>` says about a page: title, description, canonical URL and share card.
#[derive(Clone, Debug, Default)]
pub struct PageMeta {
    pub title: String,
    pub description: Option<String>,
    /// Absolute URL of the page (from `PUBLIC_URL`).
    pub canonical: Option<String>,
    /// The share card's image.
    pub image: Option<ShareImage>,
    pub locale: Locale,
    /// Keep search engines and link previews away (thanks pages, errors).
    pub noindex: bool,
    /// The page's own path, for the language switch (`{path}?lang=es`); none: no switch.
    pub path: Option<String>,
    /// A page shown inside another site (the embed): no site header or footer.
    pub bare: bool,
    /// The page has something the script improves (a copy button).
    pub script: bool,
}

/// An image for link previews: an absolute URL, and its size and description when known.
#[derive(Clone, Debug, Default)]
pub struct ShareImage {
    pub url: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
}

impl PageMeta {
    pub fn simple(title: impl Into<String>, locale: Locale) -> Self {
        Self { title: title.into(), locale, noindex: true, ..Self::default() }
    }
}

pub fn page(meta: &PageMeta, body: Markup) -> Markup {
    let locale = meta.locale;
    html! {
        (DOCTYPE)
        html lang=(meta.locale.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (meta.title) " · Undersigned" }
                @if let Some(d) = &meta.description { meta name="description" content=(d); }
                @if meta.noindex { meta name="robots" content="noindex"; }
                @if let Some(url) = &meta.canonical {
                    link rel="canonical" href=(url);
                    meta property="og:type" content="website";
                    meta property="og:url" content=(url);
                    meta property="og:title" content=(meta.title);
                    meta property="og:locale" content=(locale.og_locale());
                    meta property="og:site_name" content="Undersigned";
                    @if let Some(d) = &meta.description { meta property="og:description" content=(d); }
                    @if let Some(img) = &meta.image {
                        meta property="og:image" content=(img.url);
                        @if let Some(w) = img.width { meta property="og:image:width" content=(w); }
                        @if let Some(h) = img.height { meta property="og:image:height" content=(h); }
                        @if let Some(alt) = &img.alt { meta property="og:image:alt" content=(alt); }
                        // X reads the title, description and image from the Open Graph tags
                        // when it has no tags of its own: only what it cannot read there.
                        meta name="twitter:card" content="summary_large_image";
                        @if let Some(alt) = &img.alt { meta name="twitter:image:alt" content=(alt); }
                    } @else {
                        meta name="twitter:card" content="summary";
                    }
                }
                link rel="icon" href="/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href={ "/static/app.css?v=" (*CSS_VERSION) };
                @if meta.script { script src={ "/static/app.js?v=" (*JS_VERSION) } defer {} }
            }
            body.bare[meta.bare] {
                @if meta.bare {
                    main #main { (body) }
                } @else {
                a.skip href="#main" { (locale.t("skip-link")) }
                header.site {
                    a.brand href="/" { "Undersigned" }
                    @if let Some(path) = &meta.path {
                        nav.lang aria-label=(locale.t("language-switch")) {
                            ul {
                                @for l in LOCALES {
                                    li {
                                        @if l == locale {
                                            span aria-current="page" lang=(l.tag()) { (l.endonym()) }
                                        } @else {
                                            a href={ (path) "?lang=" (l.tag()) } lang=(l.tag()) hreflang=(l.tag()) { (l.endonym()) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer.site { (locale.t("site-tagline")) }
                }
            }
        }
    }
}
