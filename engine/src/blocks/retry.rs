//! Retries: how long a caller waits before trying again (backoff and
//! jitter) and how many retries it may afford (a budget).
//!
//! - **Backoff** before retry `k` (1 for the first retry): none; a constant
//!   delay `d`; or exponential, `base · 2^(k−1)`, never above `cap`.
//! - **Jitter** spreads the delay `d` with a uniform draw `u` in [0, 1):
//!   none (`d`), full (`u · d`: mean `d/2`), equal (`d/2 + u · d/2`: within
//!   [`d/2`, `d`]). It keeps callers that failed together from retrying
//!   together.
//! - **Budget**: a token bucket of retries. A retry spends a token and is
//!   not sent without one; every successful attempt puts back a fraction of
//!   a token, up to the bucket's size. Over any run, retries are at most
//!   the tokens it started with plus the fraction times the successes, so
//!   retries stay a bounded share of the traffic when everything fails.
//!   Counted in thousandths of a token, so no rounding drifts.
//!
//! Nothing here draws a random number: the caller passes `u`.

use crate::base::time::Nanos;

/// The delay before each retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backoff {
    /// Retry at once.
    None,
    Constant {
        delay: Nanos,
    },
    /// `base` before the first retry, doubling each time, at most `cap`.
    Exponential {
        base: Nanos,
        cap: Nanos,
    },
}

impl Backoff {
    /// The delay before retry `k` (1 for the first), before jitter.
    pub fn delay(&self, k: u32) -> Nanos {
        match *self {
            Backoff::None => 0,
            Backoff::Constant { delay } => delay,
            Backoff::Exponential { base, cap } => {
                let doublings = k.saturating_sub(1).min(63);
                base.checked_shl(doublings).filter(|d| d >> doublings == base).unwrap_or(Nanos::MAX).min(cap)
            }
        }
    }
}

/// How a backoff delay is spread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    None,
    /// Anywhere in [0, d).
    Full,
    /// Anywhere in [d/2, d).
    Equal,
}

impl Jitter {
    /// The delay `d` spread by a uniform draw `u` in [0, 1).
    pub fn apply(&self, d: Nanos, u: f64) -> Nanos {
        match self {
            Jitter::None => d,
            Jitter::Full => (d as f64 * u) as Nanos,
            Jitter::Equal => {
                let half = d / 2;
                half + ((d - half) as f64 * u) as Nanos
            }
        }
    }

    /// Whether applying it needs a random draw.
    pub fn draws(&self) -> bool {
        *self != Jitter::None
    }
}

/// Thousandths of a token.
const MILLI: u64 = 1000;

/// A retry budget: a bucket of `max` tokens, full at the start; a retry
/// spends one, a successful attempt adds `refill` (a fraction of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    max: u64,
    refill: u64,
    tokens: u64,
}

impl Budget {
    /// `max_tokens` whole tokens, `refill_per_success` of one back per
    /// success (rounded to a thousandth).
    pub fn new(max_tokens: u32, refill_per_success: f64) -> Budget {
        let max = u64::from(max_tokens) * MILLI;
        let refill = (refill_per_success.clamp(0.0, 1.0) * MILLI as f64).round() as u64;
        Budget { max, refill, tokens: max }
    }

    /// Spends a token for a retry, if there is one.
    pub fn try_spend(&mut self) -> bool {
        if self.tokens >= MILLI {
            self.tokens -= MILLI;
            true
        } else {
            false
        }
    }

    /// A successful attempt: its share of a token comes back.
    pub fn succeeded(&mut self) {
        self.tokens = (self.tokens + self.refill).min(self.max);
    }

    /// Tokens left (whole and in part).
    pub fn tokens(&self) -> f64 {
        self.tokens as f64 / MILLI as f64
    }

    /// The same bucket with new settings, keeping the tokens it has (at
    /// most the new size).
    pub fn retuned(&self, max_tokens: u32, refill_per_success: f64) -> Budget {
        let fresh = Budget::new(max_tokens, refill_per_success);
        Budget { tokens: self.tokens.min(fresh.max), ..fresh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    #[test]
    fn exponential_backoff_doubles_up_to_its_cap() {
        let b = Backoff::Exponential { base: 50 * MS, cap: 2000 * MS };
        let delays: Vec<Nanos> = (1..=8).map(|k| b.delay(k) / MS).collect();
        assert_eq!(delays, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
        // Far beyond 64 doublings it stays at the cap (no overflow).
        assert_eq!(b.delay(200), 2000 * MS);
        assert_eq!(Backoff::Exponential { base: 3, cap: Nanos::MAX }.delay(70), Nanos::MAX);
        assert_eq!(Backoff::Constant { delay: 7 }.delay(5), 7);
        assert_eq!(Backoff::None.delay(3), 0);
    }

    #[test]
    fn full_jitter_has_mean_half_the_delay_and_equal_jitter_stays_in_its_upper_half() {
        use crate::base::rng::{Stream, StreamPurpose};
        let mut rng = Stream::new(7, 0, StreamPurpose::Retries);
        let d = 100 * MS;
        let n = 200_000;
        let (mut full, mut equal) = (0.0, 0.0);
        let (mut lo, mut hi) = (Nanos::MAX, 0);
        for _ in 0..n {
            let f = Jitter::Full.apply(d, rng.uniform());
            assert!(f < d);
            full += f as f64;
            let e = Jitter::Equal.apply(d, rng.uniform());
            assert!((d / 2..d).contains(&e), "{e}");
            (lo, hi) = (lo.min(e), hi.max(e));
            equal += e as f64;
        }
        // Uniform on [0, d): SE of the mean d / sqrt(12 n), about 0.065 ms.
        let mean_full = full / n as f64 / MS as f64;
        assert!((mean_full - 50.0).abs() < 0.4, "full jitter's mean {mean_full} ms, d/2 = 50");
        let mean_equal = equal / n as f64 / MS as f64;
        assert!((mean_equal - 75.0).abs() < 0.2, "equal jitter's mean {mean_equal} ms, 3d/4 = 75");
        assert!(lo < 51 * MS && hi > 99 * MS, "it fills [d/2, d): {lo}..{hi}");
        assert_eq!(Jitter::None.apply(d, 0.3), d);
        assert!(!Jitter::None.draws() && Jitter::Full.draws());
    }

    #[test]
    fn a_budget_spends_a_token_per_retry_and_refills_a_fraction_per_success() {
        let mut b = Budget::new(10, 0.1);
        assert_eq!((0..15).filter(|_| b.try_spend()).count(), 10, "the bucket starts full");
        assert_eq!(b.tokens(), 0.0);
        for _ in 0..9 {
            b.succeeded();
        }
        assert!(!b.try_spend(), "0.9 of a token is not a retry");
        b.succeeded();
        assert!(b.try_spend(), "ten successes buy one retry");
        for _ in 0..1000 {
            b.succeeded();
        }
        assert_eq!(b.tokens(), 10.0, "never above its size");
        // Never below zero, and retries <= tokens + refill x successes, over
        // any sequence.
        let mut b = Budget::new(3, 0.25);
        let (mut retries, mut successes) = (0u64, 0u64);
        for i in 0..10_000u64 {
            if i % 7 < 3 {
                b.succeeded();
                successes += 1;
            } else if b.try_spend() {
                retries += 1;
            }
            assert!(b.tokens() >= 0.0);
            assert!(retries as f64 <= 3.0 + 0.25 * successes as f64);
        }
        let kept = Budget::new(10, 0.1).retuned(4, 0.5);
        assert_eq!(kept.tokens(), 4.0);
    }
}
