//! Fast exponential and normal deviates: the ziggurat method of Marsaglia and
//! Tsang (2000). About 99% of draws cost one random word, a table look-up and a
//! multiplication; only the rest need `exp` or `ln`. The simulation draws one
//! exponential per arrival and per service, so this is the engine's hottest
//! arithmetic.
//!
//! Unlike the original, the layer index and the magnitude come from different
//! bits of one 64-bit word (the original reused the low bits of the magnitude,
//! a known flaw). The tables are built once with the pure-Rust `libm`, so every
//! platform gets identical tables and identical deviates.

use std::sync::OnceLock;

const M1: f64 = 2_147_483_648.0; // 2^31
const M2: f64 = 4_294_967_296.0; // 2^32
/// Right edge of the base layer for the normal and exponential tables.
const NORMAL_R: f64 = 3.442_619_855_899;
const EXP_R: f64 = 7.697_117_470_131_487;

pub struct Tables {
    kn: [u32; 128],
    wn: [f64; 128],
    fn_: [f64; 128],
    ke: [u32; 256],
    we: [f64; 256],
    fe: [f64; 256],
}

fn build() -> Tables {
    let mut t = Tables { kn: [0; 128], wn: [0.0; 128], fn_: [0.0; 128], ke: [0; 256], we: [0.0; 256], fe: [0.0; 256] };
    // Normal: 128 layers of equal area vn.
    let (mut dn, vn) = (NORMAL_R, 9.912_563_035_262_17e-3);
    let mut tn = dn;
    let q = vn / libm::exp(-0.5 * dn * dn);
    t.kn[0] = ((dn / q) * M1) as u32;
    t.kn[1] = 0;
    t.wn[0] = q / M1;
    t.wn[127] = dn / M1;
    t.fn_[0] = 1.0;
    t.fn_[127] = libm::exp(-0.5 * dn * dn);
    for i in (1..=126).rev() {
        dn = libm::sqrt(-2.0 * libm::log(vn / dn + libm::exp(-0.5 * dn * dn)));
        t.kn[i + 1] = ((dn / tn) * M1) as u32;
        tn = dn;
        t.fn_[i] = libm::exp(-0.5 * dn * dn);
        t.wn[i] = dn / M1;
    }
    // Exponential: 256 layers of equal area ve.
    let (mut de, ve) = (EXP_R, 3.949_659_822_581_572e-3);
    let mut te = de;
    let q = ve / libm::exp(-de);
    t.ke[0] = ((de / q) * M2) as u32;
    t.ke[1] = 0;
    t.we[0] = q / M2;
    t.we[255] = de / M2;
    t.fe[0] = 1.0;
    t.fe[255] = libm::exp(-de);
    for i in (1..=254).rev() {
        de = -libm::log(ve / de + libm::exp(-de));
        t.ke[i + 1] = ((de / te) * M2) as u32;
        te = de;
        t.fe[i] = libm::exp(-de);
        t.we[i] = de / M2;
    }
    t
}

/// The shared tables (built on first use).
pub fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build)
}

/// A uniform in (0, 1] from a random word (never 0, so its logarithm is finite).
#[inline]
fn open_uniform(word: u64) -> f64 {
    ((word >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Standard exponential (mean 1); `next` yields random 64-bit words.
#[inline]
pub fn exponential(t: &Tables, mut next: impl FnMut() -> u64) -> f64 {
    loop {
        let word = next();
        let i = (word & 0xff) as usize;
        let j = (word >> 32) as u32;
        if j < t.ke[i] {
            return j as f64 * t.we[i];
        }
        if i == 0 {
            // The tail beyond EXP_R is itself exponential, shifted.
            return EXP_R - libm::log(open_uniform(next()));
        }
        let x = j as f64 * t.we[i];
        let u = open_uniform(next());
        if t.fe[i] + u * (t.fe[i - 1] - t.fe[i]) < libm::exp(-x) {
            return x;
        }
    }
}

/// Standard normal (mean 0, variance 1); `next` yields random 64-bit words.
#[inline]
pub fn normal(t: &Tables, mut next: impl FnMut() -> u64) -> f64 {
    loop {
        let word = next();
        let i = (word & 0x7f) as usize;
        let h = (word >> 32) as u32 as i32;
        let magnitude = h.unsigned_abs();
        let x = h as f64 * t.wn[i];
        if magnitude < t.kn[i] {
            return x;
        }
        if i == 0 {
            // Tail beyond NORMAL_R (Marsaglia's method).
            loop {
                let tx = -libm::log(open_uniform(next())) / NORMAL_R;
                let ty = -libm::log(open_uniform(next()));
                if ty + ty >= tx * tx {
                    return if h > 0 { NORMAL_R + tx } else { -NORMAL_R - tx };
                }
            }
        }
        let u = open_uniform(next());
        if t.fn_[i] + u * (t.fn_[i - 1] - t.fn_[i]) < libm::exp(-0.5 * x * x) {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::base::rng::{Stream, StreamPurpose};

    /// Kolmogorov–Smirnov distance between a sample and a CDF.
    fn ks(mut xs: Vec<f64>, cdf: impl Fn(f64) -> f64) -> f64 {
        xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let n = xs.len() as f64;
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                let f = cdf(x);
                (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
            })
            .fold(0.0, f64::max)
    }

    fn normal_cdf(x: f64) -> f64 {
        0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
    }

    #[test]
    fn exponential_matches_its_distribution() {
        let mut s = Stream::new(11, 0, StreamPurpose::Service);
        let n = 1_000_000;
        let xs: Vec<f64> = (0..n).map(|_| s.exponential(1.0)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: mean 0.001, variance about 0.003 (fourth moment 9).
        assert!((mean - 1.0).abs() < 0.005, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "variance {var}");
        // KS critical value at the 0.1% level is 1.95 / sqrt(n) = 0.00195.
        let d = ks(xs, |x| 1.0 - (-x).exp());
        assert!(d < 0.00195, "KS distance {d}");
    }

    #[test]
    fn normal_matches_its_distribution_including_tails() {
        let mut s = Stream::new(12, 0, StreamPurpose::Service);
        let n = 1_000_000;
        let xs: Vec<f64> = (0..n).map(|_| s.standard_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.005, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        // Beyond 3.44 (the ziggurat's tail), both sides: P = 2 (1 - Phi(3.44)) = 5.76e-4,
        // so about 576 of a million; a Poisson count, allow 5 standard deviations.
        let expected = 2.0 * (1.0 - normal_cdf(super::NORMAL_R)) * n as f64;
        let tail = xs.iter().filter(|x| x.abs() > super::NORMAL_R).count() as f64;
        assert!((tail - expected).abs() < 5.0 * expected.sqrt(), "tail count {tail}, expected {expected}");
        let d = ks(xs, normal_cdf);
        assert!(d < 0.00195, "KS distance {d}");
    }
}
