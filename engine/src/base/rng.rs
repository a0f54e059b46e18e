//! Seeded random streams.
//!
//! Every source of randomness in a simulation (each traffic source, each station's
//! service times, each load balancer's choices) draws from its own stream, derived
//! from the scenario seed and the node's index. Two consequences matter:
//! the same seed gives the same numbers on every platform (the generator is a fixed
//! algorithm, Xoshiro256++, never the platform-dependent `SmallRng`), and changing
//! one node does not reshuffle the random numbers another node sees.
//!
//! Floating-point transcendental functions come from the pure-Rust `libm` crate, so
//! that `ln` and `exp` give bit-identical results natively and in WebAssembly.

use rand::{Rng, RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The purpose of a stream; mixed into its seed so streams of one node differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum StreamPurpose {
    Arrivals = 1,
    RequestKind = 2,
    Service = 3,
    Routing = 4,
    /// Which data key a request touches (drawn only when a node needs it).
    Keys = 5,
    /// Which region a request comes from (drawn only when users have regions).
    Regions = 6,
    /// Whether a request comes from a mobile app (drawn only when some do).
    Clients = 7,
    /// Retry backoff jitter (drawn only when a caller's jitter is not none).
    Retries = 8,
    /// Whether an injected error hits a request (drawn only while errors are
    /// injected at the node).
    Faults = 9,
    /// Whether a cache hit is refreshed early (drawn only on hits at caches
    /// with early refresh on).
    Refresh = 10,
}

/// SplitMix64 step: the standard way to turn one seed into many well-mixed seeds.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One deterministic random stream.
#[derive(Clone)]
pub struct Stream {
    rng: Xoshiro256PlusPlus,
    zig: &'static crate::base::ziggurat::Tables,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream").finish_non_exhaustive()
    }
}

impl Stream {
    /// The stream for `purpose` at node number `node` under scenario seed `seed`.
    pub fn new(seed: u64, node: usize, purpose: StreamPurpose) -> Stream {
        let mixed = splitmix64(seed ^ splitmix64((node as u64) << 8 | purpose as u64));
        Stream { rng: Xoshiro256PlusPlus::seed_from_u64(mixed), zig: crate::base::ziggurat::tables() }
    }

    /// Uniform in [0, 1) with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n). `n` must be positive.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        self.rng.random_range(0..n)
    }

    /// Exponential with the given mean.
    #[inline]
    pub fn exponential(&mut self, mean: f64) -> f64 {
        let rng = &mut self.rng;
        mean * crate::base::ziggurat::exponential(self.zig, || rng.next_u64())
    }

    /// Standard normal.
    #[inline]
    pub fn standard_normal(&mut self) -> f64 {
        let rng = &mut self.rng;
        crate::base::ziggurat::normal(self.zig, || rng.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let mut a = Stream::new(7, 0, StreamPurpose::Arrivals);
        let mut b = Stream::new(7, 0, StreamPurpose::Arrivals);
        let mut c = Stream::new(7, 0, StreamPurpose::Service);
        let mut d = Stream::new(7, 1, StreamPurpose::Arrivals);
        let xs: Vec<f64> = (0..5).map(|_| a.uniform()).collect();
        let ys: Vec<f64> = (0..5).map(|_| b.uniform()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], c.uniform());
        assert_ne!(xs[0], d.uniform());
    }

    #[test]
    fn known_first_values_pin_the_algorithm() {
        // If these change, every saved scenario gives different numbers: that must be
        // a deliberate, versioned decision, never an accident of a dependency update.
        let mut s = Stream::new(42, 3, StreamPurpose::Service);
        let first = s.rng.next_u64();
        let mut again = Stream::new(42, 3, StreamPurpose::Service);
        assert_eq!(first, again.rng.next_u64());
        assert_eq!(first, PINNED_FIRST_U64);
    }
    const PINNED_FIRST_U64: u64 = 12_684_873_885_223_795_128;

    #[test]
    fn exponential_mean_and_normal_moments() {
        let mut s = Stream::new(1, 0, StreamPurpose::Service);
        let n = 400_000;
        let mean: f64 = (0..n).map(|_| s.exponential(2.0)).sum::<f64>() / n as f64;
        // Std error of the mean is 2/sqrt(n) = 0.0032; allow 5 standard errors.
        assert!((mean - 2.0).abs() < 0.016, "mean {mean}");
        let zs: Vec<f64> = (0..n).map(|_| s.standard_normal()).collect();
        let m = zs.iter().sum::<f64>() / n as f64;
        let v = zs.iter().map(|z| (z - m) * (z - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.008, "normal mean {m}");
        assert!((v - 1.0).abs() < 0.012, "normal variance {v}");
    }
}
