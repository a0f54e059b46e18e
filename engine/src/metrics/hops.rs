//! Sampled request hops for the animation.
//!
//! About `taken` requests in every `every` are followed ([`Share`]), and each wire it crosses
//! (down with the request, up with the response) is logged as a hop. The browser
//! drains the log every frame and draws each hop as a particle moving along its
//! wire at the simulated times.
//!
//! Which requests are followed is decided by a hash of the request's number
//! ([`is_sampled`]): never by a random draw, so turning the animation up or down
//! cannot change the simulation's results, and never by a stride, because a
//! stride aliases with anything periodic in the design. Every 2nd request behind
//! a round-robin balancer over two servers is every request to one of them; every
//! 4th request under modulo sharding over four shards lands on one shard.

use crate::base::time::Nanos;
use crate::blocks::request::Kind;
use serde::Serialize;
use std::collections::VecDeque;

/// Hops kept before the oldest are dropped (the browser normally drains far sooner).
pub const HOP_LOG_CAPACITY: usize = 16_384;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Index of the link crossed (scenario order).
    pub link: u16,
    pub from: u16,
    pub to: u16,
    /// When the request (or response) leaves `from` and reaches `to`.
    pub start: Nanos,
    pub end: Nanos,
    pub kind: Kind,
    /// A response heading back towards the users.
    pub response: bool,
    /// The request has failed (the response carries an error).
    pub failed: bool,
    /// The request's number: its trace is `Simulation::trace(request)`.
    pub request: u64,
}

/// Whether request `number` is one of those followed when about one in
/// `every` is (0: none). The number goes through a 64-bit mixing function
/// (the finaliser of SplitMix64), so the chosen requests have no period: each
/// route, kind and outcome is sampled in proportion to its traffic.
#[inline]
pub fn is_sampled(number: u64, every: u32) -> bool {
    Share::one_in(every).follows(number)
}

/// The number through a 64-bit mixing function (the finaliser of SplitMix64).
#[inline]
fn mix(number: u64) -> u64 {
    let mut z = number.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Which requests the animation follows: about `taken` in every `every`
/// (request `n` when `mix(n) % every < taken`). One in `every` is
/// [`is_sampled`]'s rule exactly; a share such as 55 in 100 lets the
/// animation aim between one in 1 and one in 2. `every == 0` follows none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Share {
    pub taken: u32,
    pub every: u32,
}

impl Share {
    pub const NONE: Share = Share { taken: 0, every: 0 };
    pub const ALL: Share = Share { taken: 1, every: 1 };

    /// One request in `every` (0: none).
    pub const fn one_in(every: u32) -> Share {
        Share { taken: 1, every }
    }

    /// The fraction of requests followed.
    pub fn rate(self) -> f64 {
        if self.every == 0 {
            0.0
        } else {
            (self.taken as f64 / self.every as f64).min(1.0)
        }
    }

    /// Whether request `number` is one of those followed.
    #[inline]
    pub fn follows(self, number: u64) -> bool {
        self.every != 0 && mix(number) % (self.every as u64) < self.taken as u64
    }
}

#[derive(Debug, Default)]
pub struct HopLog {
    /// The requests followed (see [`Share`]); none by default.
    pub share: Share,
    hops: VecDeque<Hop>,
    /// Hops lost because the log was full.
    pub dropped: u64,
}

impl HopLog {
    #[inline]
    pub fn push(&mut self, hop: Hop) {
        if self.hops.len() == HOP_LOG_CAPACITY {
            self.hops.pop_front();
            self.dropped += 1;
        }
        self.hops.push_back(hop);
    }

    /// Moves every logged hop into `out` (cleared first), oldest first.
    pub fn drain_into(&mut self, out: &mut Vec<Hop>) {
        out.clear();
        out.extend(self.hops.drain(..));
    }

    pub fn len(&self) -> usize {
        self.hops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::{is_sampled, Share};

    #[test]
    fn a_share_follows_its_fraction_and_one_in_n_is_the_old_rule() {
        let n = 400_000u64;
        for (taken, every) in [(55u32, 100u32), (3, 4), (1, 3), (99, 100)] {
            let share = Share { taken, every };
            let followed = (0..n).filter(|&i| share.follows(i)).count() as f64;
            let p = share.rate();
            let sd = (n as f64 * p * (1.0 - p)).sqrt();
            assert!((followed - n as f64 * p).abs() < 5.0 * sd, "{taken} in {every}: {followed} of {n}");
        }
        // A larger share follows every request a smaller one of the same
        // `every` does (the residues below `taken` grow with it).
        assert!((0..10_000)
            .all(|i| !Share { taken: 40, every: 100 }.follows(i) || Share { taken: 60, every: 100 }.follows(i)));
        assert!((0..10_000).all(|i| Share { taken: 100, every: 100 }.follows(i) && !Share::NONE.follows(i)));
        for every in [1u32, 2, 7, 30] {
            assert!((0..10_000).all(|i| Share::one_in(every).follows(i) == is_sampled(i, every)));
        }
    }

    #[test]
    fn every_one_follows_all_and_zero_none() {
        assert!((0..1000).all(|n| is_sampled(n, 1)));
        assert!((0..1000).all(|n| !is_sampled(n, 0)));
    }

    #[test]
    fn one_in_n_of_every_residue_class_is_followed() {
        // A stride of n would follow all of one residue class mod n and none
        // of the others; the hash follows about 1 in `every` of each.
        for (every, period) in [(2u32, 2u64), (4, 4), (3, 6), (8, 4), (30, 10)] {
            let per_class = 200_000u64;
            for class in 0..period {
                let followed = (0..per_class).filter(|i| is_sampled(i * period + class, every)).count() as f64;
                let p = 1.0 / every as f64;
                let expected = per_class as f64 * p;
                let sd = (per_class as f64 * p * (1.0 - p)).sqrt();
                assert!(
                    (followed - expected).abs() < 5.0 * sd,
                    "every {every}, class {class} of {period}: {followed} followed, {expected} expected"
                );
            }
        }
    }
}
