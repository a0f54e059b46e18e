//! How sure are the headline numbers? Confidence intervals by batch means.
//!
//! Successive requests are not independent (a long queue makes the next
//! request slow too), so the textbook interval over individual latencies would
//! be far too narrow. Batch means cut the run into batches of [`BATCH_S`]
//! seconds, long against how quickly the system forgets, treat each batch's
//! figure (mean latency, p99, error rate) as one roughly independent sample,
//! and put a Student-t interval around their average. The last
//! [`MAX_BATCHES`] batches count; fewer than [`MIN_BATCHES`] give no interval.
//! A design change starts the batches over: the numbers of two designs are not
//! one sample.
//!
//! A proportion (the share of requests that failed) gets a [`Proportion`]
//! instead: a Wilson score interval, which stays within 0–100% and is
//! asymmetric near the ends, where mean ± half-width would run below zero.
//! The batches still count: requests that fail together are not independent
//! trials, so the interval counts them as fewer ([`proportion`]).

use crate::base::histogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Length of a batch, in simulated seconds.
pub const BATCH_S: u32 = 10;
/// Batches kept (the last five minutes).
pub const MAX_BATCHES: usize = 30;
/// Fewest batches that give an interval.
pub const MIN_BATCHES: usize = 5;
/// A batch's p99 is only an honest sample with this many requests in it.
pub const MIN_REQUESTS_FOR_P99: u64 = 500;

/// `mean ± half_width` at 95% confidence, from `batches` batches.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub mean: f64,
    pub half_width: f64,
    pub batches: usize,
}

impl Interval {
    pub fn contains(&self, x: f64) -> bool {
        (x - self.mean).abs() <= self.half_width
    }
}

/// The 97.5% point of the standard normal (two-sided 95%).
pub const Z_975: f64 = 1.959_963_985;

/// The 97.5% point of Student's t with `df` degrees of freedom (two-sided 95%).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        // Beyond the table: the normal point plus the first correction term.
        _ => 1.959_964 + (1.959_964f64.powi(3) + 1.959_964) / (4.0 * df as f64),
    }
}

/// The 95% interval of the mean of `samples`, treated as independent.
pub fn interval(samples: &[f64]) -> Option<Interval> {
    let n = samples.len();
    if n < MIN_BATCHES {
        return None;
    }
    let mean = samples.iter().sum::<f64>() / n as f64;
    let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    Some(Interval { mean, half_width: t_975(n - 1) * (var / n as f64).sqrt(), batches: n })
}

/// A proportion over a window of batches with its 95% interval, which lies
/// within [0, 1]: `low <= estimate <= high`, not symmetric about it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Proportion {
    /// `events / trials`.
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
    pub events: u64,
    pub trials: u64,
    /// Batches of [`BATCH_S`] seconds in the window.
    pub batches: usize,
}

/// The Wilson score interval of `events` successes in `trials` at the normal
/// point `z`: the proportions `p` for which the observed share is within `z`
/// standard errors of `p` (Wilson 1927). Within [0, 1] for any input; `trials`
/// may be fractional (an effective number of trials). No trials: (0, 1).
pub fn wilson(events: f64, trials: f64, z: f64) -> (f64, f64) {
    if !(trials > 0.0 && trials.is_finite()) {
        return (0.0, 1.0);
    }
    let p = (events / trials).clamp(0.0, 1.0);
    let z2 = z * z;
    let denom = 1.0 + z2 / trials;
    let centre = (p + z2 / (2.0 * trials)) / denom;
    let half = z * (p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)).sqrt() / denom;
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

/// The share of events over `batches` (events, trials of each batch; those
/// without trials are left out) with its 95% interval: Wilson's, on the
/// effective number of trials. Trials that fail together (a server down for
/// 20 s) vary more between batches than independent ones would; the design
/// effect, the variance of the share seen between batches (a ratio
/// estimate) over the binomial variance, and at least 1, divides the number
/// of trials (Kish), which is then scaled by (z / t)^2 for the few batches
/// that variance is estimated from (Korn and Graubard 1998, as in the NCHS
/// standards for proportions). Fewer than [`MIN_BATCHES`] batches: `None`.
pub fn proportion(batches: &[(u64, u64)]) -> Option<Proportion> {
    let used: Vec<(u64, u64)> = batches.iter().copied().filter(|b| b.1 > 0).collect();
    let m = used.len();
    if m < MIN_BATCHES {
        return None;
    }
    let events: u64 = used.iter().map(|b| b.0).sum();
    let trials: u64 = used.iter().map(|b| b.1).sum();
    let n = trials as f64;
    let p = events as f64 / n;
    let mean_trials = n / m as f64;
    let spread: f64 = used.iter().map(|&(k, t)| (k as f64 - p * t as f64).powi(2)).sum();
    let between = spread / ((m * (m - 1)) as f64 * mean_trials * mean_trials);
    let binomial = p * (1.0 - p) / n;
    let design_effect = if binomial > 0.0 { (between / binomial).max(1.0) } else { 1.0 };
    let effective = n / design_effect * (Z_975 / t_975(m - 1)).powi(2);
    let (low, high) = wilson(p * effective, effective, Z_975);
    Some(Proportion { estimate: p, low, high, events, trials, batches: m })
}

/// The headline numbers with their intervals (`None`: not enough batches yet).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    pub mean_latency_ms: Option<Interval>,
    pub p99_latency_ms: Option<Interval>,
    /// The batch means of the error rate with a symmetric interval (for
    /// judging a difference between two designs; it can run below zero).
    pub error_rate: Option<Interval>,
    /// The share of requests that failed over the same batches, with an
    /// interval within 0–100% ([`proportion`]): the one to show.
    pub error_proportion: Option<Proportion>,
}

#[derive(Clone, Copy, Debug)]
struct Batch {
    ok: u64,
    failed: u64,
    mean_ns: f64,
    p99_ns: f64,
}

/// Collects batches one simulated second at a time.
#[derive(Clone, Debug)]
pub struct Batches {
    /// Batches begin at this second (the warm-up's end, or the last design change).
    start_s: u64,
    current: Histogram,
    ok: u64,
    failed: u64,
    seconds: u32,
    done: VecDeque<Batch>,
}

impl Batches {
    pub fn new(start_s: u64) -> Batches {
        Batches { start_s, current: Histogram::new(), ok: 0, failed: 0, seconds: 0, done: VecDeque::new() }
    }

    /// Starts over after second `t_s`.
    pub fn restart(&mut self, t_s: u64) {
        *self = Batches::new(t_s.max(self.start_s));
    }

    /// Takes in the second that ended at `t_s`.
    pub fn second(&mut self, t_s: u64, ok: u64, failed: u64, latency: &Histogram) {
        if t_s <= self.start_s {
            return;
        }
        self.current.merge(latency);
        self.ok += ok;
        self.failed += failed;
        self.seconds += 1;
        if self.seconds == BATCH_S {
            if self.done.len() == MAX_BATCHES {
                self.done.pop_front();
            }
            let h = &self.current;
            self.done.push_back(Batch {
                ok: self.ok,
                failed: self.failed,
                mean_ns: h.mean(),
                p99_ns: h.quantile(0.99),
            });
            self.current.clear();
            (self.ok, self.failed, self.seconds) = (0, 0, 0);
        }
    }

    pub fn headline(&self) -> Headline {
        let with_ok: Vec<&Batch> = self.done.iter().filter(|b| b.ok > 0).collect();
        let mean: Vec<f64> = with_ok.iter().map(|b| b.mean_ns / 1e6).collect();
        // Every batch needs enough requests for its p99 to mean something.
        let p99: Vec<f64> = if with_ok.len() == self.done.len() && with_ok.iter().all(|b| b.ok >= MIN_REQUESTS_FOR_P99)
        {
            with_ok.iter().map(|b| b.p99_ns / 1e6).collect()
        } else {
            Vec::new()
        };
        let errors: Vec<f64> = self
            .done
            .iter()
            .filter(|b| b.ok + b.failed > 0)
            .map(|b| b.failed as f64 / (b.ok + b.failed) as f64)
            .collect();
        let failed: Vec<(u64, u64)> = self.done.iter().map(|b| (b.failed, b.ok + b.failed)).collect();
        Headline {
            mean_latency_ms: interval(&mean),
            p99_latency_ms: interval(&p99),
            error_rate: interval(&errors),
            error_proportion: proportion(&failed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_points_match_the_table_and_approach_the_normal() {
        assert_eq!(t_975(1), 12.706);
        assert_eq!(t_975(29), 2.045);
        assert!((t_975(1000) - 1.962).abs() < 0.001);
        assert!(t_975(31) < t_975(30) && t_975(31) > 1.96);
    }

    #[test]
    fn an_interval_is_the_mean_plus_minus_t_times_the_standard_error() {
        let iv = interval(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        // s = sqrt(2.5), se = sqrt(0.5), t(4) = 2.776.
        assert_eq!(iv.mean, 3.0);
        assert!((iv.half_width - 2.776 * 0.5f64.sqrt()).abs() < 1e-12);
        assert!(interval(&[1.0, 2.0, 3.0, 4.0]).is_none(), "fewer than five batches");
    }

    #[test]
    fn batches_close_every_ten_seconds_after_the_start_and_keep_the_last_thirty() {
        let mut b = Batches::new(5);
        let mut h = Histogram::new();
        for _ in 0..1000 {
            h.record(2_000_000);
        }
        for t in 1..=5 + 10 * 4 {
            b.second(t, 1000, 10, &h);
        }
        assert_eq!(b.headline(), Headline::default(), "four batches: no interval yet");
        for t in 46..=55 {
            b.second(t, 1000, 10, &h);
        }
        let head = b.headline();
        let mean = head.mean_latency_ms.unwrap();
        assert!((mean.mean - 2.0).abs() < 0.01 && mean.half_width < 1e-9 && mean.batches == 5);
        assert!((head.error_rate.unwrap().mean - 10.0 / 1010.0).abs() < 1e-12);
        let errors = head.error_proportion.unwrap();
        assert_eq!((errors.events, errors.trials, errors.batches), (500, 50_500, 5));
        assert!(errors.low < errors.estimate && errors.estimate < errors.high);
        assert!(head.p99_latency_ms.is_some());
        for t in 56..=500 {
            b.second(t, 1000, 10, &h);
        }
        assert_eq!(b.headline().mean_latency_ms.unwrap().batches, MAX_BATCHES);
        b.restart(500);
        assert_eq!(b.headline(), Headline::default());
    }

    #[test]
    fn a_p99_needs_enough_requests_in_every_batch() {
        let mut b = Batches::new(0);
        let mut h = Histogram::new();
        for _ in 0..10 {
            h.record(1_000_000);
        }
        for t in 1..=60 {
            b.second(t, 10, 0, &h);
        }
        let head = b.headline();
        assert!(
            head.mean_latency_ms.is_some() && head.p99_latency_ms.is_none(),
            "100 requests a batch are too few for a p99"
        );
    }
}

#[cfg(test)]
mod proportion_tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// A binomial draw by skipping from success to success (geometric gaps):
    /// about `n p` uniform draws rather than `n`.
    fn binomial(rng: &mut Xoshiro256PlusPlus, n: u64, p: f64) -> u64 {
        if p >= 1.0 {
            return n;
        }
        let log_q = (1.0 - p).ln();
        let (mut k, mut i) = (0, 0u64);
        loop {
            let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
            i += (u.ln() / log_q).floor() as u64 + 1;
            if i > n {
                return k;
            }
            k += 1;
        }
    }

    #[test]
    fn wilson_matches_published_values() {
        // Newcombe (1998), Statistics in Medicine 17, table I, method 3.
        for (k, n, lo, hi) in [
            (81.0, 263.0, 0.2553, 0.3662),
            (15.0, 148.0, 0.0624, 0.1605),
            (0.0, 20.0, 0.0, 0.1611),
            (1.0, 29.0, 0.0061, 0.1718),
        ] {
            let (l, h) = wilson(k, n, Z_975);
            assert!(
                (l - lo).abs() < 5e-5 && (h - hi).abs() < 5e-5,
                "{k}/{n}: ({l:.4}, {h:.4}), published ({lo}, {hi})"
            );
        }
        // With no events the lower bound is 0 and the upper z^2 / (n + z^2).
        let (l, h) = wilson(0.0, 1000.0, Z_975);
        assert_eq!(l, 0.0);
        assert!((h - Z_975 * Z_975 / (1000.0 + Z_975 * Z_975)).abs() < 1e-15);
    }

    #[test]
    fn wilson_bounds_stay_within_0_and_1_and_around_the_estimate() {
        for n in [1u64, 2, 5, 10, 37, 100, 1_000, 1_000_000, 10_000_000_000] {
            for k in [0, 1, n / 3, n / 2, n.saturating_sub(1), n] {
                let (l, h) = wilson(k as f64, n as f64, Z_975);
                let p = k as f64 / n as f64;
                assert!((0.0..=1.0).contains(&l) && (0.0..=1.0).contains(&h), "{k}/{n}: ({l}, {h})");
                assert!(l <= p && p <= h, "{k}/{n}: ({l}, {h})");
            }
        }
        assert_eq!(wilson(0.0, 0.0, Z_975), (0.0, 1.0));
        assert_eq!(wilson(1.0, f64::NAN, Z_975), (0.0, 1.0));
    }

    /// The exact coverage of Wilson's interval for `n` trials at `p`: the
    /// binomial probability of every count whose interval holds `p`.
    fn exact_coverage(n: u64, p: f64) -> f64 {
        let log_pmf = |k: u64| {
            let (k, nf) = (k as f64, n as f64);
            libm::lgamma(nf + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(nf - k + 1.0)
                + k * p.ln()
                + (nf - k) * (1.0 - p).ln()
        };
        (0..=n)
            .filter(|&k| {
                let (l, h) = wilson(k as f64, n as f64, Z_975);
                l <= p && p <= h
            })
            .map(|k| log_pmf(k).exp())
            .sum()
    }

    #[test]
    fn wilson_covers_about_95_percent_of_binomial_samples() {
        // Exact coverages: 94.44%, 95.04%, 94.63% (Wilson's oscillates around
        // the nominal 95% by a point or so). 10,000 seeded samples each: a
        // standard error of 0.22 points; tolerance 1.5 points either side.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(17);
        for (p, n) in [(0.001, 20_000u64), (0.05, 1_000), (0.5, 1_000)] {
            let exact = exact_coverage(n, p);
            assert!((exact - 0.95).abs() < 0.01, "exact coverage at p = {p}, n = {n}: {exact}");
            let runs = 10_000;
            let covered = (0..runs)
                .filter(|_| {
                    let (l, h) = wilson(binomial(&mut rng, n, p) as f64, n as f64, Z_975);
                    l <= p && p <= h
                })
                .count();
            let coverage = covered as f64 / runs as f64;
            eprintln!("p = {p}, n = {n}: coverage {coverage:.4} of {runs} samples (exact {exact:.4})");
            assert!((coverage - 0.95).abs() < 0.015, "p = {p}: coverage {coverage}");
        }
    }

    /// Coverage of [`proportion`] and of Wilson on the pooled counts over
    /// `runs` windows of 30 batches of 1,000 trials, each batch at the share
    /// `batch_p` draws.
    fn batched_coverage(
        p: f64,
        runs: usize,
        seed: u64,
        batch_p: impl Fn(&mut Xoshiro256PlusPlus) -> f64,
    ) -> (f64, f64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let (mut ours, mut pooled) = (0, 0);
        for _ in 0..runs {
            let batches: Vec<(u64, u64)> = (0..30)
                .map(|_| {
                    let q = batch_p(&mut rng);
                    (binomial(&mut rng, 1_000, q), 1_000)
                })
                .collect();
            let pr = proportion(&batches).unwrap();
            assert!(0.0 <= pr.low && pr.low <= pr.estimate && pr.estimate <= pr.high && pr.high <= 1.0, "{pr:?}");
            ours += usize::from(pr.low <= p && p <= pr.high);
            let (l, h) = wilson(pr.events as f64, pr.trials as f64, Z_975);
            pooled += usize::from(l <= p && p <= h);
        }
        (ours as f64 / runs as f64, pooled as f64 / runs as f64)
    }

    #[test]
    fn batched_proportions_cover_independent_and_bursty_failures() {
        // Independent trials: the design effect is about 1 but never taken
        // below it, and (z/t)^2 for 30 batches widens the interval by 4%, so
        // the interval errs on the safe side: 96.6-96.8% over 40,000 windows.
        // Here 4,000 windows (SE 0.3 points): within 1.2 points of 96.7%.
        for p in [0.001, 0.05, 0.5] {
            let (ours, pooled) = batched_coverage(p, 4_000, 3, |_| p);
            eprintln!("independent, p = {p}: coverage {ours:.4} (plain Wilson {pooled:.4})");
            assert!((0.955..=0.979).contains(&ours), "p = {p}: {ours}");
        }
        // Bursty: each batch's share is p times an exponential draw (mean p,
        // as variable as itself). Plain Wilson on the pooled counts is far
        // too narrow (21%); counting the trials as fewer keeps coverage near
        // 95% (94.0% over 40,000 windows; here within 1.5 points of it).
        let p = 0.05;
        let (ours, pooled) = batched_coverage(p, 4_000, 4, |rng| p * -(1.0 - rng.random::<f64>()).ln());
        eprintln!("bursty, p = {p}: coverage {ours:.4}, plain Wilson {pooled:.4}");
        assert!((0.925..=0.955).contains(&ours), "{ours}");
        assert!(pooled < 0.3, "{pooled}");
    }

    #[test]
    fn a_proportion_needs_five_batches_with_trials_and_stays_within_0_and_1() {
        assert_eq!(proportion(&[(0, 100); 4]), None);
        assert_eq!(proportion(&[(0, 0); 10]), None, "batches without requests do not count");
        // No failures at all: from 0 up to a small share.
        let none = proportion(&[(0, 1_000); 30]).unwrap();
        assert_eq!((none.estimate, none.low), (0.0, 0.0));
        assert!(none.high > 0.0 && none.high < 2e-4, "{none:?}");
        // One burst in 30 batches (every request of one 10 s batch failed):
        // 3.3% overall, with an interval that is wide, since one burst is
        // one event rather than 1,000 independent ones, and above zero.
        let mut burst = vec![(0, 1_000); 30];
        burst[7] = (1_000, 1_000);
        let b = proportion(&burst).unwrap();
        eprintln!("one burst: {b:?}");
        assert!((b.estimate - 1.0 / 30.0).abs() < 1e-12);
        assert!(b.low > 0.0 && b.low < 0.01 && b.high > 0.1 && b.high < 0.5, "{b:?}");
        // The same 1,000 failures spread evenly: a narrow interval.
        let even = proportion(&[(33, 1_000); 30]).unwrap();
        assert!(even.high - even.low < 0.005, "{even:?}");
        // Everything failed: up to 100% exactly.
        let all = proportion(&[(500, 500); 6]).unwrap();
        assert_eq!((all.estimate, all.high), (1.0, 1.0));
        assert!(all.low > 0.99);
    }
}
