//! Share texts: the wordings staff give a petition's share buttons. While any live text has
//! had fewer than [`MIN_CLICKS`] clicks, clicks rotate among those; after that each click is
//! given a text by Thompson sampling on signatures per click, so the wording that brings most
//! signers is used most, while the others still get a few clicks in case they catch up.

use rand::Rng;
use rand_distr::{Distribution, Gamma};
use statrs::distribution::{ContinuousCDF, Gamma as GammaDist};

/// Clicks each live text gets in turn before the choice follows the figures.
pub const MIN_CLICKS: i64 = 100;

/// Longest share text, in characters (a post on X, before the link).
pub const MAX_CHARS: usize = 280;

/// What one share text has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arm {
    pub clicks: i64,
    /// Validated signatures that came through links shared with it.
    pub signatures: i64,
}

/// The prior belief about signatures per click (a Gamma distribution with this shape and rate,
/// mean 0.1): weak, so a few hundred clicks outweigh it.
const PRIOR_SHAPE: f64 = 1.0;
const PRIOR_RATE: f64 = 10.0;

/// The index of the text for the next click among `arms` (not empty). `turn` counts clicks,
/// for the rotation.
pub fn choose(arms: &[Arm], turn: u64, rng: &mut impl Rng) -> usize {
    let new: Vec<usize> = (0..arms.len()).filter(|&i| arms[i].clicks < MIN_CLICKS).collect();
    if !new.is_empty() {
        return new[(turn % new.len() as u64) as usize];
    }
    let mut best = (0, f64::NEG_INFINITY);
    for (i, arm) in arms.iter().enumerate() {
        // Signatures per click as a Poisson rate: its posterior is Gamma(shape + s, rate + c).
        let shape = PRIOR_SHAPE + arm.signatures.max(0) as f64;
        let scale = 1.0 / (PRIOR_RATE + arm.clicks.max(0) as f64);
        let draw = Gamma::new(shape, scale).map_or(0.0, |g| g.sample(rng));
        if draw > best.1 {
            best = (i, draw);
        }
    }
    best.0
}

/// The 95% interval of signatures per click after `signatures` from `clicks` (exact, for a
/// Poisson count); `None` without clicks.
pub fn interval(signatures: i64, clicks: i64) -> Option<(f64, f64)> {
    if clicks <= 0 {
        return None;
    }
    let (s, c) = (signatures.max(0) as f64, clicks as f64);
    let quantile = |shape: f64, p: f64| GammaDist::new(shape, 1.0).map_or(f64::NAN, |g| g.inverse_cdf(p));
    let low = if s == 0.0 { 0.0 } else { quantile(s, 0.025) / c };
    let high = quantile(s + 1.0, 0.975) / c;
    Some((low, high))
}

/// Why a share text is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is {0} characters long; at most {MAX_CHARS} fit in a post")]
    TooLong(usize),
    #[error("the text has control characters (line breaks included); keep it to one line")]
    Control,
}

/// A share text as it is kept: trimmed, one line, at most [`MAX_CHARS`].
pub fn clean(text: &str) -> Result<String, TextError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(TextError::Empty);
    }
    if t.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    let n = t.chars().count();
    if n > MAX_CHARS {
        return Err(TextError::TooLong(n));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    fn arm(clicks: i64, signatures: i64) -> Arm {
        Arm { clicks, signatures }
    }

    #[test]
    fn new_texts_take_turns_until_each_has_its_clicks() {
        let mut rng = StdRng::seed_from_u64(1);
        let arms = [arm(0, 0), arm(500, 400), arm(99, 0)];
        // Only the two under the minimum, in turn, whatever the figures of the third.
        let picks: Vec<usize> = (0..6).map(|t| choose(&arms, t, &mut rng)).collect();
        assert_eq!(picks, [0, 2, 0, 2, 0, 2]);
        assert_eq!(choose(&[arm(0, 0)], 7, &mut rng), 0);
    }

    #[test]
    fn the_better_text_gets_most_clicks_and_the_other_some() {
        let mut rng = StdRng::seed_from_u64(7);
        // 0.30 against 0.10 signatures per click.
        let arms = [arm(1000, 100), arm(1000, 300)];
        let better = (0..2000).filter(|&t| choose(&arms, t, &mut rng) == 1).count();
        assert!(better > 1980, "{better}");
        // Close figures with few clicks: both keep being tried.
        let close = [arm(150, 15), arm(150, 18)];
        let second = (0..2000).filter(|&t| choose(&close, t, &mut rng) == 1).count();
        assert!((1000..1900).contains(&second), "{second}");
    }

    #[test]
    fn equal_texts_share_the_clicks() {
        let mut rng = StdRng::seed_from_u64(3);
        let arms = [arm(400, 40), arm(400, 40), arm(400, 40)];
        let mut seen = [0; 3];
        for t in 0..3000 {
            seen[choose(&arms, t, &mut rng)] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }

    #[test]
    fn intervals_match_the_exact_poisson_ones() {
        assert_eq!(interval(3, 0), None);
        let (low, high) = interval(0, 10).expect("clicks");
        assert_eq!(low, 0.0);
        assert!((high - 0.3689).abs() < 1e-3, "{high}");
        let (low, high) = interval(10, 100).expect("clicks");
        assert!((low - 0.04795).abs() < 1e-3 && (high - 0.1839).abs() < 1e-3, "{low} {high}");
        let (low, high) = interval(250, 100).expect("clicks");
        assert!(low < 2.5 && 2.5 < high && high - low < 0.7, "{low} {high}");
    }

    #[test]
    fn texts_are_one_trimmed_line_that_fits_a_post() {
        assert_eq!(clean("  Sign now  "), Ok("Sign now".to_owned()));
        assert_eq!(clean(" \t "), Err(TextError::Empty));
        assert_eq!(clean("a\nb"), Err(TextError::Control));
        assert_eq!(clean(&"é".repeat(281)), Err(TextError::TooLong(281)));
        assert!(clean(&"é".repeat(280)).is_ok());
    }
}
