//! The words of the public pages: a Fluent catalogue per locale (`src/i18n/*.ftl`), compiled
//! into the binary and parsed once. Views ask for a message by id ([`Locale::t`]) and never spell
//! a visible phrase themselves.

use std::{borrow::Cow, sync::LazyLock};

use fluent_bundle::{FluentArgs, FluentResource, FluentValue, concurrent::FluentBundle};

/// A page language. Unknown tags fall back to English.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Locale {
    #[default]
    En,
    Es,
}

/// Every locale, in the order the language switch shows them.
pub const LOCALES: [Locale; 2] = [Locale::En, Locale::Es];

impl Locale {
    /// A language tag (`es`, `es-MX`, `EN`) if its language is one of ours.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        LOCALES.into_iter().find(|l| primary.eq_ignore_ascii_case(l.tag()))
    }

    /// Like [`Locale::from_tag`], with English for anything else.
    pub fn parse(tag: &str) -> Self {
        Self::from_tag(tag).unwrap_or_default()
    }

    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The language's own name, shown in the language switch in that language.
    pub fn endonym(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Español",
        }
    }

    /// Open Graph's locale form.
    pub fn og_locale(self) -> &'static str {
        match self {
            Self::En => "en_US",
            Self::Es => "es_ES",
        }
    }

    /// The message `id` in this language. A missing id (which the catalogue tests rule out)
    /// shows as the id itself rather than failing the page.
    pub fn t(self, id: &str) -> Cow<'static, str> {
        self.format(id, None)
    }

    /// The message `id` with arguments, e.g. `t_with("goal", &[("goal", 2500.into())])`.
    pub fn t_with(self, id: &str, args: &[(&'static str, FluentValue<'_>)]) -> Cow<'static, str> {
        let mut fluent_args = FluentArgs::with_capacity(args.len());
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        Cow::Owned(self.format(id, Some(&fluent_args)).into_owned())
    }

    /// `1,234 signatures` / `1.234 firmas`.
    pub fn count(self, n: i64) -> Cow<'static, str> {
        self.t_with("signature-count", &[("count", n.into())])
    }

    /// Groups thousands the local way: 1,234 / 1.234.
    pub fn number(self, n: i64) -> String {
        let sep = match self {
            Self::En => ',',
            Self::Es => '.',
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(c);
        }
        out
    }

    /// A day the local way: `27 November 2026` / `27 de noviembre de 2026`.
    pub fn date(self, at: chrono::DateTime<chrono::Utc>) -> String {
        use chrono::Datelike;
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const ES: [&str; 12] = [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ];
        let month = usize::try_from(at.month0()).unwrap_or_default().min(11);
        match self {
            Self::En => format!("{} {} {}", at.day(), EN[month], at.year()),
            Self::Es => format!("{} de {} de {}", at.day(), ES[month], at.year()),
        }
    }

    fn format(self, id: &str, args: Option<&FluentArgs<'_>>) -> Cow<'static, str> {
        let bundle = &CATALOGUE.bundles[self as usize];
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return Cow::Owned(id.to_owned());
        };
        // Errors here are a missing argument, which still renders (as its name).
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, args, &mut errors)
    }
}

/// The source of each locale's catalogue, in [`LOCALES`] order.
pub const SOURCES: [(Locale, &str); 2] =
    [(Locale::En, include_str!("i18n/en.ftl")), (Locale::Es, include_str!("i18n/es.ftl"))];

struct Catalogue {
    bundles: Vec<FluentBundle<FluentResource>>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    bundles: SOURCES.iter().map(|(locale, source)| bundle(*locale, source)).collect(),
});

fn bundle(locale: Locale, source: &str) -> FluentBundle<FluentResource> {
    // The sources are part of the binary and parsed by the tests; a syntax error there keeps
    // what parsed, and the tests name it.
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, _)| partial);
    let lang = locale.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Pages are HTML with their own `lang`; Unicode isolation marks would only show as noise.
    bundle.set_use_isolating(false);
    let formatter: NumberFormatter = match locale {
        Locale::En => |v, _| format_number(Locale::En, v),
        Locale::Es => |v, _| format_number(Locale::Es, v),
    };
    bundle.set_formatter(Some(formatter));
    // Duplicate ids are reported by the tests too; the first one wins.
    let _ = bundle.add_resource(resource);
    bundle
}

type NumberFormatter = fn(&FluentValue<'_>, &intl_memoizer::concurrent::IntlLangMemoizer) -> Option<String>;

/// Whole numbers in messages get local thousands separators.
fn format_number(locale: Locale, v: &FluentValue<'_>) -> Option<String> {
    match v {
        FluentValue::Number(n) if n.value.fract() == 0.0 && n.value.abs() < 9e15 =>
        {
            #[expect(clippy::cast_possible_truncation, reason = "a whole number well inside i64")]
            Some(locale.number(n.value as i64))
        }
        _ => None,
    }
}

/// Every message id in one locale's catalogue, and its text where it has no placeables (for
/// tests that look for untranslated text).
pub fn messages(locale: Locale) -> Vec<(String, Option<String>)> {
    use fluent_syntax::ast::{Entry, PatternElement};
    let source = SOURCES.iter().find(|(l, _)| *l == locale).map_or("", |(_, s)| s);
    let Ok(resource) = fluent_syntax::parser::parse(source) else { return Vec::new() };
    resource
        .body
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) => {
                let text = m.value.as_ref().and_then(|p| match p.elements.as_slice() {
                    [PatternElement::TextElement { value }] => Some((*value).to_owned()),
                    _ => None,
                });
                Some((m.id.name.to_owned(), text))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn ids(locale: Locale) -> BTreeSet<String> {
        messages(locale).into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn every_catalogue_parses_without_errors() {
        for (locale, source) in SOURCES {
            if let Err((_, errors)) = fluent_syntax::parser::parse(source) {
                panic!("{}.ftl: {errors:?}", locale.tag());
            }
            let list: Vec<String> = messages(locale).into_iter().map(|(id, _)| id).collect();
            assert_eq!(list.len(), ids(locale).len(), "{}.ftl has a duplicate id", locale.tag());
        }
    }

    #[test]
    fn every_locale_has_every_message() {
        let english = ids(Locale::En);
        for locale in LOCALES {
            assert_eq!(ids(locale), english, "{}.ftl differs from en.ftl", locale.tag());
        }
    }

    /// Every message id that the sources ask for (calls of `t` and `t_with`) exists, and every
    /// message is used somewhere.
    #[test]
    fn every_id_used_in_code_exists_and_every_message_is_used() {
        let mut used = BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"))];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("src is readable") {
                    stack.push(entry.expect("a directory entry").path());
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let code = std::fs::read_to_string(&path).expect("a source file");
                for call in [".t(\"", ".t_with(\""] {
                    for (at, _) in code.match_indices(call) {
                        let rest = &code[at + call.len()..];
                        if let Some(end) = rest.find('"') {
                            used.insert(rest[..end].to_owned());
                        }
                    }
                }
            }
        }
        let known = ids(Locale::En);
        let missing: Vec<_> = used.difference(&known).collect();
        assert!(missing.is_empty(), "used in code but not in the catalogue: {missing:?}");
        let unused: Vec<_> = known.difference(&used).collect();
        assert!(unused.is_empty(), "in the catalogue but never used: {unused:?}");
    }

    #[test]
    fn numbers_and_plurals_follow_the_locale() {
        assert_eq!(Locale::En.number(1_234_567), "1,234,567");
        assert_eq!(Locale::Es.number(1234), "1.234");
        assert_eq!(Locale::En.number(999), "999");
        assert_eq!(Locale::En.number(-1234), "-1,234");
        assert_eq!(Locale::En.count(0), "0 signatures");
        assert_eq!(Locale::En.count(1), "1 signature");
        assert_eq!(Locale::En.count(1234), "1,234 signatures");
        assert_eq!(Locale::Es.count(1), "1 firma");
        assert_eq!(Locale::Es.count(2500), "2.500 firmas");
        assert_eq!(Locale::Es.t_with("goal", &[("goal", 10_000.into())]), "Meta: 10.000");
        assert_eq!(Locale::Es.t("sign-button"), "Firmar ahora");
        assert_eq!(Locale::En.format("no-such-message", None), "no-such-message");
    }

    #[test]
    fn tags_resolve_to_our_locales() {
        assert_eq!(Locale::from_tag("es-MX"), Some(Locale::Es));
        assert_eq!(Locale::from_tag("ES"), Some(Locale::Es));
        assert_eq!(Locale::from_tag("en_GB"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::from_tag(""), None);
        assert_eq!(Locale::parse("fr"), Locale::En);
    }
}
