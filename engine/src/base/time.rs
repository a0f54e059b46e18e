//! Simulated time: integer nanoseconds since the start of the run.
//!
//! Integers keep event ordering exact and identical on every platform; a u64 of
//! nanoseconds covers more than 500 years, far beyond any run.

/// A point in simulated time, or a duration, in nanoseconds.
pub type Nanos = u64;

pub const NS_PER_MS: u64 = 1_000_000;
pub const NS_PER_S: u64 = 1_000_000_000;

/// Milliseconds (finite, non-negative) to nanoseconds, rounded to the nearest.
#[inline]
pub fn ms_to_ns(ms: f64) -> Nanos {
    secs_to_ns(ms / 1e3)
}

/// Seconds (finite, non-negative) to nanoseconds, rounded to the nearest.
/// Values beyond the u64 range saturate (they are rejected by validation anyway).
#[inline]
pub fn secs_to_ns(s: f64) -> Nanos {
    let ns = s * 1e9 + 0.5;
    if ns >= u64::MAX as f64 {
        u64::MAX
    } else if ns > 0.0 {
        ns as u64
    } else {
        0
    }
}

/// Nanoseconds to milliseconds.
#[inline]
pub fn ns_to_ms(ns: Nanos) -> f64 {
    ns as f64 / 1e6
}

/// Nanoseconds to seconds.
#[inline]
pub fn ns_to_secs(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}
