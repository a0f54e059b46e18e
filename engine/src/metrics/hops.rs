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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
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

/// Bytes of one hop in [`pack`]'s buffer.
pub const PACKED_HOP: usize = 32;
/// Bytes before the first hop: the simulated time the hops were drained at.
const PACKED_HEAD: usize = 8;

/// Hops as one buffer of fixed 32-byte little-endian records after the
/// simulated time `now`, so the engine's worker can hand a frame's hops to the
/// page as one transferable buffer instead of a message per dot.
pub fn pack(now: Nanos, hops: &[Hop]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PACKED_HEAD + hops.len() * PACKED_HOP);
    out.extend_from_slice(&now.to_le_bytes());
    for h in hops {
        out.extend_from_slice(&h.link.to_le_bytes());
        out.extend_from_slice(&h.from.to_le_bytes());
        out.extend_from_slice(&h.to.to_le_bytes());
        out.push(h.kind as u8);
        out.push(u8::from(h.response) | (u8::from(h.failed) << 1));
        out.extend_from_slice(&h.start.to_le_bytes());
        out.extend_from_slice(&h.end.to_le_bytes());
        out.extend_from_slice(&h.request.to_le_bytes());
    }
    out
}

/// Reads [`pack`]'s buffer back into `out` (cleared first) and returns its
/// simulated time; `None` for a buffer that is not one (nothing is read).
pub fn unpack(bytes: &[u8], out: &mut Vec<Hop>) -> Option<Nanos> {
    out.clear();
    let (head, body) = bytes.split_at_checked(PACKED_HEAD)?;
    if !body.len().is_multiple_of(PACKED_HOP) {
        return None;
    }
    let u16_at = |r: &[u8], i: usize| u16::from_le_bytes([r[i], r[i + 1]]);
    let u64_at = |r: &[u8], i: usize| u64::from_le_bytes(r[i..i + 8].try_into().expect("8 bytes"));
    for r in body.chunks_exact(PACKED_HOP) {
        let Some(&kind) = Kind::ALL.get(r[6] as usize) else {
            out.clear();
            return None;
        };
        out.push(Hop {
            link: u16_at(r, 0),
            from: u16_at(r, 2),
            to: u16_at(r, 4),
            kind,
            response: r[7] & 1 != 0,
            failed: r[7] & 2 != 0,
            start: u64_at(r, 8),
            end: u64_at(r, 16),
            request: u64_at(r, 24),
        });
    }
    Some(u64_at(head, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_hops_read_back_as_they_were() {
        let hops: Vec<Hop> = (0..50u64)
            .map(|i| Hop {
                link: (i * 7) as u16,
                from: (i * 3 + 65_000) as u16,
                to: i as u16,
                start: i * 1_000_003,
                end: u64::MAX - i,
                kind: Kind::ALL[(i % 4) as usize],
                response: i % 2 == 0,
                failed: i % 3 == 0,
                request: i << 40,
            })
            .collect();
        let bytes = pack(123_456_789, &hops);
        assert_eq!(bytes.len(), 8 + 50 * PACKED_HOP);
        let mut back = vec![hops[0]];
        assert_eq!(unpack(&bytes, &mut back), Some(123_456_789));
        assert_eq!(back, hops);
        assert_eq!(unpack(&pack(5, &[]), &mut back), Some(5));
        assert!(back.is_empty());
        // Not a packed buffer: refused, nothing read.
        assert_eq!(unpack(&bytes[..bytes.len() - 1], &mut back), None);
        assert_eq!(unpack(&[1, 2, 3], &mut back), None);
        let mut bad_kind = pack(0, &hops[..3]);
        bad_kind[8 + 2 * PACKED_HOP + 6] = 9;
        assert_eq!(unpack(&bad_kind, &mut back), None);
        assert!(back.is_empty());
    }

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
