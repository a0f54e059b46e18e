//! A fixed-memory latency histogram with bounded relative error.
//!
//! Values (nanoseconds) are grouped by their power of two, and each power of two is
//! split into `SUB_BUCKETS` equal slices. A slice of an octave starting at 2^e is
//! 2^e / 128 wide, so reporting the middle of a slice is off by at most 1/256 of the
//! value (0.4%), inside the 1% the dashboard promises. Values below 128 ns are kept
//! exactly. Memory is fixed (a few tens of KB) however many values are recorded,
//! which is what lets a run last simulated days.

use crate::base::time::Nanos;

const SUB_BITS: u32 = 7;
const SUB_BUCKETS: usize = 1 << SUB_BITS; // 128 slices per octave
/// Octaves above the exact range: values up to 2^47 ns (about 39 hours).
const OCTAVES: usize = 40;
const BUCKETS: usize = SUB_BUCKETS + OCTAVES * SUB_BUCKETS;

/// Latency histogram; see the module docs for the error bound.
#[derive(Clone, Debug)]
pub struct Histogram {
    /// A fixed-size array, so indexing by `bucket_of` needs no bounds check.
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    sum: u128,
    min: Nanos,
    max: Nanos,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn bucket_of(v: Nanos) -> usize {
    if v < SUB_BUCKETS as u64 {
        return v as usize;
    }
    let e = 63 - v.leading_zeros(); // v in [2^e, 2^(e+1)), e >= SUB_BITS
    let octave = (e - SUB_BITS) as usize;
    let slice = ((v >> (e - SUB_BITS)) as usize) & (SUB_BUCKETS - 1);
    let b = SUB_BUCKETS + octave * SUB_BUCKETS + slice;
    b.min(BUCKETS - 1)
}

/// The middle of a bucket: the value reported for anything recorded in it.
fn bucket_mid(b: usize) -> f64 {
    if b < SUB_BUCKETS {
        return b as f64;
    }
    let octave = (b - SUB_BUCKETS) / SUB_BUCKETS;
    let slice = (b - SUB_BUCKETS) % SUB_BUCKETS;
    let width = (1u64 << octave) as f64; // 2^(e - SUB_BITS)
    let low = (SUB_BUCKETS + slice) as f64 * width;
    low + width / 2.0
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram { counts: Box::new([0; BUCKETS]), total: 0, sum: 0, min: u64::MAX, max: 0 }
    }

    #[inline]
    pub fn record(&mut self, v: Nanos) {
        self.counts[bucket_of(v)] += 1;
        self.total += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    /// Records every value of `values`: the same counts, sum, min and max as
    /// recording them one by one, with the totals updated once.
    pub fn record_all(&mut self, values: &[Nanos]) {
        let (mut sum, mut min, mut max) = (0u128, self.min, self.max);
        for &v in values {
            self.counts[bucket_of(v)] += 1;
            sum += v as u128;
            min = min.min(v);
            max = max.max(v);
        }
        self.total += values.len() as u64;
        self.sum += sum;
        (self.min, self.max) = (min, max);
    }

    /// [`Histogram::record_all`] into two histograms at once (each value's
    /// bucket found once).
    pub fn record_all_twice(values: &[Nanos], a: &mut Histogram, b: &mut Histogram) {
        let (mut sum, mut min, mut max) = (0u128, u64::MAX, 0);
        for &v in values {
            let i = bucket_of(v);
            a.counts[i] += 1;
            b.counts[i] += 1;
            sum += v as u128;
            min = min.min(v);
            max = max.max(v);
        }
        for h in [a, b] {
            h.total += values.len() as u64;
            h.sum += sum;
            (h.min, h.max) = (h.min.min(min), h.max.max(max));
        }
    }

    /// The buckets that can hold anything: those of the exact min and max
    /// (empty when nothing was recorded). Walks and clears stay inside them,
    /// which matters for the per-second histograms read every simulated second.
    fn used(&self) -> std::ops::Range<usize> {
        if self.total == 0 {
            0..0
        } else {
            bucket_of(self.min)..bucket_of(self.max) + 1
        }
    }

    pub fn clear(&mut self) {
        let used = self.used();
        self.counts[used].fill(0);
        self.total = 0;
        self.sum = 0;
        self.min = u64::MAX;
        self.max = 0;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// Exact mean in nanoseconds (the sum is kept exactly), or 0 when empty.
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// Exact maximum, or 0 when empty.
    pub fn max(&self) -> Nanos {
        self.max
    }

    /// The q-quantile (0 <= q <= 1) in nanoseconds, within 0.4% of a value that
    /// was recorded at that rank; 0 when empty. Clamped to the exact min and max.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        // Rank of the smallest value with at least q of the values at or below it.
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        if rank >= self.total {
            return self.max as f64; // the largest value is known exactly
        }
        let mut seen = 0u64;
        let used = self.used();
        for (b, &c) in self.counts[used.clone()].iter().enumerate() {
            seen += c;
            if seen >= rank {
                return bucket_mid(used.start + b).clamp(self.min as f64, self.max as f64);
            }
        }
        self.max as f64
    }

    /// The mean of the squared values (ns²), from the buckets' middles: each
    /// value is within 1/256 of its middle, so this is within about 0.8%.
    /// Walks the buckets: for reports and tests, not the hot path.
    pub fn second_moment(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let used = self.used();
        let sum: f64 = self.counts[used.clone()]
            .iter()
            .enumerate()
            .filter(|(_, &c)| c > 0)
            .map(|(b, &c)| {
                let v = bucket_mid(used.start + b).clamp(self.min as f64, self.max as f64);
                c as f64 * v * v
            })
            .sum();
        sum / self.total as f64
    }

    /// Adds every value of `other` to this histogram.
    pub fn merge(&mut self, other: &Histogram) {
        let used = other.used();
        for (a, b) in self.counts[used.clone()].iter_mut().zip(other.counts[used].iter()) {
            *a += *b;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

/// Raw values buffered before they are added to histograms in one go (see
/// `kernel::latency` and the per-node buffers of `kernel::snapshot`): an
/// append is a sequential write where a record is a random one into 42 KB.
pub const PENDING: usize = 256;

/// Test oracle: `a` and `b` hold the same values (count, mean and second
/// moment to the bit, maximum, quantiles), as a buffered histogram must hold
/// what recording one by one puts in.
#[cfg(test)]
pub(crate) fn assert_same(a: &Histogram, b: &Histogram) {
    assert_eq!(a.count(), b.count());
    assert_eq!(a.mean().to_bits(), b.mean().to_bits());
    assert_eq!(a.second_moment().to_bits(), b.second_moment().to_bits());
    assert_eq!(a.max(), b.max());
    for q in [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0] {
        assert_eq!(a.quantile(q).to_bits(), b.quantile(q).to_bits(), "q={q}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every figure a histogram gives, for comparing two of them exactly.
    fn figures(h: &Histogram) -> (Vec<u64>, u64, u128, Nanos, Nanos, Vec<u64>) {
        let qs = [0.0, 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];
        (h.counts.to_vec(), h.total, h.sum, h.min, h.max, qs.iter().map(|&q| h.quantile(q).to_bits()).collect())
    }

    #[test]
    fn recording_a_slice_is_recording_each_value() {
        let values = [0u64, 5, 127, 128, 1_000, 1_000, 77_777_777, u64::MAX / 3];
        let (mut one, mut all) = (Histogram::new(), Histogram::new());
        values.iter().for_each(|&v| one.record(v));
        all.record_all(&values);
        all.record_all(&[]);
        assert_eq!(figures(&one), figures(&all));
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        b.record(3);
        Histogram::record_all_twice(&values, &mut a, &mut b);
        Histogram::record_all_twice(&[], &mut a, &mut b);
        assert_eq!(figures(&one), figures(&a));
        one.record(3);
        assert_eq!(figures(&one), figures(&b));
    }

    #[test]
    fn the_second_moment_is_within_the_bucket_bound() {
        let mut h = Histogram::new();
        assert_eq!(h.second_moment(), 0.0);
        let values = [1_000u64, 3_000, 250_000, 7_000_000, 42];
        for v in values {
            h.record(v);
        }
        let exact = values.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / values.len() as f64;
        let rel = (h.second_moment() - exact).abs() / exact;
        assert!(rel <= 2.0 / 256.0 + 1e-12, "{} vs {exact}: {rel}", h.second_moment());
    }

    #[test]
    fn every_value_lands_within_the_error_bound() {
        // Walk values geometrically across the whole range and check that the value
        // reported for each value's bucket is within 0.4% (exact below 128 ns).
        let mut v: u64 = 1;
        while v < (1u64 << 46) {
            let mid = bucket_mid(bucket_of(v));
            let rel = (mid - v as f64).abs() / v as f64;
            assert!(rel <= 1.0 / 256.0 + 1e-12, "v={v} mid={mid} rel={rel}");
            if v < 128 {
                assert_eq!(mid, v as f64);
            }
            v = v + v / 37 + 1;
        }
    }

    #[test]
    fn quantiles_of_a_known_sample() {
        let mut h = Histogram::new();
        for v in 1..=100_000u64 {
            h.record(v * 1000); // 1 µs .. 100 ms
        }
        for &(q, exact) in &[(0.5, 50_000_000.0), (0.9, 90_000_000.0), (0.99, 99_000_000.0)] {
            let got = h.quantile(q);
            assert!((got - exact).abs() / exact < 0.01, "q={q} got={got}");
        }
        assert_eq!(h.max(), 100_000_000);
        assert!((h.mean() - 50_000_500.0).abs() < 1e-6);
        assert_eq!(h.quantile(1.0), 100_000_000.0);
    }

    #[test]
    fn empty_and_clear() {
        let mut h = Histogram::new();
        assert_eq!(h.quantile(0.99), 0.0);
        assert_eq!(h.mean(), 0.0);
        h.record(5);
        h.clear();
        assert_eq!(h.count(), 0);
        assert_eq!(h.quantile(0.5), 0.0);
    }

    #[test]
    fn huge_values_are_clamped_not_lost() {
        let mut h = Histogram::new();
        h.record(u64::MAX / 2);
        assert_eq!(h.count(), 1);
        assert_eq!(h.quantile(0.5), (u64::MAX / 2) as f64);
    }
}
