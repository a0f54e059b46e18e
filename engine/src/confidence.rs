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

use crate::histogram::Histogram;
use serde::Serialize;
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
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
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

/// The 97.5% point of Student's t with `df` degrees of freedom (two-sided 95%).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
        2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
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

/// The headline numbers with their intervals (`None`: not enough batches yet).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Headline {
    pub mean_latency_ms: Option<Interval>,
    pub p99_latency_ms: Option<Interval>,
    pub error_rate: Option<Interval>,
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
            self.done.push_back(Batch { ok: self.ok, failed: self.failed, mean_ns: h.mean(), p99_ns: h.quantile(0.99) });
            self.current.clear();
            (self.ok, self.failed, self.seconds) = (0, 0, 0);
        }
    }

    pub fn headline(&self) -> Headline {
        let with_ok: Vec<&Batch> = self.done.iter().filter(|b| b.ok > 0).collect();
        let mean: Vec<f64> = with_ok.iter().map(|b| b.mean_ns / 1e6).collect();
        // Every batch needs enough requests for its p99 to mean something.
        let p99: Vec<f64> = if with_ok.len() == self.done.len() && with_ok.iter().all(|b| b.ok >= MIN_REQUESTS_FOR_P99) {
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
        Headline { mean_latency_ms: interval(&mean), p99_latency_ms: interval(&p99), error_rate: interval(&errors) }
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
        assert!(head.mean_latency_ms.is_some() && head.p99_latency_ms.is_none(), "100 requests a batch are too few for a p99");
    }
}
