//! Bar charts drawn on the server as SVG: readable without JavaScript, no external request.
//! A chart is an image with a text summary for screen readers; the page puts the same figures
//! in a table beside it.

use maud::{Markup, html};

/// One bar: its full label (in its tooltip), its short label (under the axis) and its value.
pub struct Bar {
    pub label: String,
    pub short: String,
    pub value: i64,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;
/// Labels under the axis, at most.
const AXIS_LABELS: usize = 8;

/// The smallest “round” number (1, 2 or 5 times a power of ten) at or above `n`.
fn nice_ceiling(n: i64) -> i64 {
    let mut step = 1_i64;
    loop {
        for m in [1, 2, 5] {
            let candidate = step.saturating_mul(m);
            if candidate >= n {
                return candidate;
            }
        }
        if step > i64::MAX / 10 {
            return i64::MAX;
        }
        step *= 10;
    }
}

/// The values the axis is marked at: 0, the middle and the top (when they differ).
fn ticks(top: i64) -> Vec<i64> {
    let mut t = vec![0, top / 2, top];
    t.dedup();
    t
}

/// A bar chart of `bars`, titled `title`; `unit` names what is counted (“signatures”).
pub fn bar_chart(id: &str, title: &str, unit: &str, bars: &[Bar]) -> Markup {
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let top = nice_ceiling(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.8).max(1.0);
    let y = |v: i64| TOP + plot_h - (v as f64 / top as f64) * plot_h;
    let total: i64 = bars.iter().map(|b| b.value).sum();
    let best = bars.iter().max_by_key(|b| b.value).filter(|b| b.value > 0);
    let summary = match best {
        Some(b) => format!(
            "{total} {unit} in all; the most, {}, on {}. The table that follows has every figure.",
            b.value, b.label
        ),
        None => format!("No {unit} in this period."),
    };
    let every = bars.len().div_ceil(AXIS_LABELS).max(1);
    let (title_id, desc_id) = (format!("{id}-title"), format!("{id}-desc"));
    html! {
        svg.chart role="img" aria-labelledby={ (title_id) " " (desc_id) } viewBox={ "0 0 " (WIDTH) " " (HEIGHT) }
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            desc id=(desc_id) { (summary) }
            @for tick in ticks(top) {
                line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(tick)) y2=(y(tick)) stroke="#8a8a94" stroke-width="1" {}
                text x=(LEFT - 6.0) y=(y(tick) + 4.0) text-anchor="end" font-size="12" fill="#1d1d1f" { (tick) }
            }
            @for (i, b) in bars.iter().enumerate() {
                @let x = LEFT + i as f64 * slot + (slot - bar_w) / 2.0;
                @if b.value > 0 {
                    rect x=(format!("{x:.1}")) y=(format!("{:.1}", y(b.value))) width=(format!("{bar_w:.1}"))
                        height=(format!("{:.1}", TOP + plot_h - y(b.value))) fill="#b3261e" {
                        title { (b.label) ": " (b.value) }
                    }
                }
                @if i % every == 0 {
                    text x=(format!("{:.1}", x + bar_w / 2.0)) y=(HEIGHT - 10.0) text-anchor="middle" font-size="12"
                        fill="#1d1d1f" { (b.short) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(480), 500);
        assert_eq!(nice_ceiling(501), 1000);
        assert_eq!(nice_ceiling(i64::MAX), i64::MAX);
    }

    #[test]
    fn a_chart_says_what_it_shows() {
        let bars = [
            Bar { label: "2026-11-26".into(), short: "26".into(), value: 3 },
            Bar { label: "2026-11-27".into(), short: "27".into(), value: 0 },
        ];
        let svg = bar_chart("days", "Per day", "signatures", &bars).into_string();
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("3 signatures in all; the most, 3, on 2026-11-26."));
        assert_eq!(svg.matches("<rect").count(), 1, "no bar for a zero");
        let empty = bar_chart("none", "Per day", "signatures", &[]).into_string();
        assert!(empty.contains("No signatures in this period."));
    }
}
