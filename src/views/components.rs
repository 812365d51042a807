//! Small pieces shared by several pages.

use maud::{Markup, html};

use crate::{domain::FieldError, i18n::Strings};

/// The count and a progress bar toward the goal.
pub fn progress(s: &Strings, count: i64, goal: i64) -> Markup {
    let max = goal.max(count).max(1);
    html! {
        div.count {
            p { strong.tally { (s.count(count)) } }
            progress value=(count) max=(max) aria-label=(s.count(count)) {}
            @if goal > 0 { p.goal { (s.of_goal(goal)) } }
        }
    }
}

/// How an input is drawn.
pub struct Input<'a> {
    pub name: &'static str,
    pub label: &'a str,
    pub value: &'a str,
    /// `text`, `email`, `tel` or `textarea`.
    pub kind: &'static str,
    pub autocomplete: &'static str,
    pub max: usize,
    /// Shows "(optional)" after the label.
    pub optional: Option<&'a str>,
    pub error: Option<FieldError>,
    /// The first invalid field gets focus on page load (works without JavaScript).
    pub autofocus: bool,
}

/// A labelled input with its error above it, tied by `aria-describedby`.
pub fn input(s: &Strings, f: &Input<'_>) -> Markup {
    let id = format!("f-{}", f.name);
    let err_id = format!("e-{}", f.name);
    let described = f.error.map(|_| err_id.as_str());
    html! {
        div.field.has-error[f.error.is_some()] {
            label for=(id) {
                (f.label)
                @if let Some(o) = f.optional { " " span.opt { "(" (o) ")" } }
            }
            @if let Some(e) = f.error {
                p.error id=(err_id) { span.visually-hidden { "Error: " } (s.field_error(e)) }
            }
            @if f.kind == "textarea" {
                textarea id=(id) name=(f.name) maxlength=(f.max) aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[described] autofocus[f.autofocus] { (f.value) }
            } @else {
                input id=(id) name=(f.name) type=(f.kind) value=(f.value) autocomplete=(f.autocomplete)
                    maxlength=(f.max) required[f.optional.is_none()] aria-invalid=[f.error.map(|_| "true")]
                    aria-describedby=[described] autofocus[f.autofocus]
                    inputmode=[(f.kind == "tel").then_some("tel")];
            }
        }
    }
}

/// Paragraphs from plain text: blank lines separate paragraphs. Text is escaped.
pub fn paragraphs(text: &str) -> Markup {
    html! {
        @for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
            p {
                @for (i, line) in para.lines().enumerate() {
                    @if i > 0 { br; }
                    (line)
                }
            }
        }
    }
}
