//! A balancer's rotation: which of its backends (numbered `0..len`) are in
//! it, and, when asked to count, which of those hold the fewest open
//! connections. It answers what the balancing rules ask: how many are in
//! rotation, which one has a given rank among them (its place in index
//! order), what rank one has, and which in rotation with the fewest open
//! connections comes first at or after an index, cyclically.
//!
//! Backends are grouped in blocks of 64, one machine word each: a bit mask
//! of those in rotation, and, when counting, the block's fewest open
//! connections with a bit mask of the backends holding that many. A
//! connection opened or closed touches one block (a block whose fewest all
//! gained one is counted again, 64 keys in a row: about one pick in three
//! with 300 servers); a pick reads one word per block (at most 8 for the
//! 500 nodes a design may hold), and with every backend in rotation a rank
//! is an index. The segment tree this replaced walked nine levels four or
//! five times per request, each step a branch the processor could not
//! predict: 28% of a 300-server least-connections run.

/// Backends per block: the bits of a word.
const BLOCK: usize = 64;
/// The key of a backend out of rotation, and a block's fewest when none of
/// its backends is in rotation.
const OUT: u32 = u32::MAX;

#[derive(Debug, Default)]
pub struct Rotation {
    len: usize,
    /// Per block: bit `j` set when backend `64 × block + j` is in rotation.
    members: Vec<u64>,
    in_rotation: usize,
    /// Whether open connections are kept (`fewest_from` may be asked).
    counting: bool,
    /// Per backend, when counting: its open connections if in rotation,
    /// `OUT` if not (and `OUT` past `len` to the end of the last block).
    keys: Vec<u32>,
    /// Per block, when counting: the fewest keys (`OUT` when none is in
    /// rotation) ...
    least: Vec<u32>,
    /// ... and which of its backends have that many (none when `OUT`).
    at_least: Vec<u64>,
}

impl Rotation {
    /// Backends given as (in rotation, open connections), in index order;
    /// `counting` keeps the open connections, for [`Rotation::fewest_from`].
    pub fn new(backends: impl ExactSizeIterator<Item = (bool, u32)>, counting: bool) -> Rotation {
        let len = backends.len();
        let blocks = len.div_ceil(BLOCK);
        let mut r = Rotation {
            len,
            members: vec![0; blocks],
            in_rotation: 0,
            counting,
            keys: Vec::new(),
            least: Vec::new(),
            at_least: Vec::new(),
        };
        if counting {
            r.keys = vec![OUT; blocks * BLOCK];
            r.least = vec![OUT; blocks];
            r.at_least = vec![0; blocks];
        }
        for (i, (healthy, open)) in backends.enumerate() {
            if healthy {
                r.members[i / BLOCK] |= 1 << (i % BLOCK);
                r.in_rotation += 1;
                if counting {
                    r.keys[i] = key(open);
                }
            }
        }
        if counting {
            for b in 0..blocks {
                r.recount(b);
            }
        }
        r
    }

    /// How many backends are in rotation.
    pub fn in_rotation(&self) -> usize {
        self.in_rotation
    }

    /// Backend `i` is in rotation or not, with `open` connections.
    pub fn set(&mut self, i: usize, healthy: bool, open: u32) {
        let (b, bit) = (i / BLOCK, 1u64 << (i % BLOCK));
        let was = self.members[b] & bit != 0;
        if was != healthy {
            self.members[b] ^= bit;
            if healthy {
                self.in_rotation += 1;
            } else {
                self.in_rotation -= 1;
            }
        }
        if self.counting {
            self.rekey(i, if healthy { key(open) } else { OUT });
        }
    }

    /// Backend `i`'s open connections are now `open` (whether it is in
    /// rotation is unchanged). Nothing to do unless counting.
    #[inline]
    pub fn set_open(&mut self, i: usize, open: u32) {
        if self.counting && self.keys[i] != OUT {
            self.rekey(i, key(open));
        }
    }

    /// Backend `i`'s key becomes `new`: its block's fewest and who holds them
    /// follow, counting the block again only when the last of its fewest
    /// moved up.
    #[inline]
    fn rekey(&mut self, i: usize, new: u32) {
        let (b, bit) = (i / BLOCK, 1u64 << (i % BLOCK));
        let old = std::mem::replace(&mut self.keys[i], new);
        if old == new {
            return;
        }
        let least = self.least[b];
        if new < least {
            self.least[b] = new;
            self.at_least[b] = bit;
        } else if new == least {
            // `least` < OUT here: `old` was at least `least` and differs.
            self.at_least[b] |= bit;
        } else if old == least {
            self.at_least[b] &= !bit;
            if self.at_least[b] == 0 {
                self.recount(b);
            }
        }
    }

    /// Block `b`'s fewest and who holds them, from its keys (a whole block
    /// of them: the compiler unrolls both passes into vector compares).
    fn recount(&mut self, b: usize) {
        let keys: &[u32; BLOCK] = self.keys[b * BLOCK..][..BLOCK].try_into().expect("keys fill whole blocks");
        let least = keys.iter().copied().fold(OUT, u32::min);
        let mut at = 0u64;
        for (j, &k) in keys.iter().enumerate() {
            at |= u64::from(k == least) << j;
        }
        self.least[b] = least;
        self.at_least[b] = if least == OUT { 0 } else { at };
    }

    /// The index of the backend of rank `rank` among those in rotation
    /// (`rank` < `in_rotation()`).
    pub fn at_rank(&self, rank: usize) -> usize {
        if self.in_rotation == self.len {
            return rank;
        }
        let mut rank = rank;
        for (b, &m) in self.members.iter().enumerate() {
            let here = m.count_ones() as usize;
            if rank < here {
                let mut m = m;
                for _ in 0..rank {
                    m &= m - 1;
                }
                return b * BLOCK + m.trailing_zeros() as usize;
            }
            rank -= here;
        }
        unreachable!("rank {rank} beyond the {} in rotation", self.in_rotation)
    }

    /// How many backends in rotation come before index `i`.
    pub fn rank_of(&self, i: usize) -> usize {
        if self.in_rotation == self.len {
            return i;
        }
        let (b, j) = (i / BLOCK, i % BLOCK);
        let before: usize = self.members[..b].iter().map(|m| m.count_ones() as usize).sum();
        before + (self.members[b] & ((1u64 << j) - 1)).count_ones() as usize
    }

    /// The first backend in rotation at or after index `from` (< `len`),
    /// cyclically, whose open connections are the fewest of all in
    /// rotation. Only when counting and some backend is in rotation.
    pub fn fewest_from(&self, from: usize) -> usize {
        debug_assert!(self.counting && self.in_rotation > 0 && from < self.len);
        let fewest = self.least.iter().copied().min().unwrap_or(OUT);
        let (b0, j0) = (from / BLOCK, from % BLOCK);
        let first = |b: usize, mask: u64| b * BLOCK + mask.trailing_zeros() as usize;
        if self.least[b0] == fewest {
            let after = self.at_least[b0] & (u64::MAX << j0);
            if after != 0 {
                return first(b0, after);
            }
        }
        let blocks = self.least.len();
        for b in (b0 + 1..blocks).chain(0..=b0) {
            // A block holding the fewest has some backend holding them (in
            // `b0` only those before `from` are left: the others were seen).
            if self.least[b] == fewest {
                return first(b, self.at_least[b]);
            }
        }
        unreachable!("a backend in rotation has the fewest connections")
    }
}

/// A backend's open connections as a key (`OUT` is kept for those out of
/// rotation; no backend holds four billion connections).
fn key(open: u32) -> u32 {
    open.min(OUT - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::{Stream, StreamPurpose};

    /// What the rotation must answer, by a scan of every backend.
    fn scan_fewest_from(backends: &[(bool, u32)], from: usize) -> usize {
        let n = backends.len();
        let fewest = backends.iter().filter(|b| b.0).map(|b| b.1).min().unwrap();
        (0..n).map(|k| (from + k) % n).find(|&i| backends[i].0 && backends[i].1 == fewest).unwrap()
    }

    #[test]
    fn answers_as_a_scan_of_every_backend_across_blocks() {
        for seed in 1..=30u64 {
            let mut ops = Stream::new(seed, 7, StreamPurpose::Arrivals);
            // Up to 500 backends: one to eight blocks, the last one partial.
            let n = 1 + ops.below(500) as usize;
            let mut backends: Vec<(bool, u32)> = (0..n).map(|_| (ops.below(10) != 0, ops.below(4))).collect();
            let mut r = Rotation::new(backends.iter().copied(), true);
            for step in 0..4_000 {
                let i = ops.below(n as u32) as usize;
                match ops.below(100) {
                    0..=44 => backends[i].1 += 1,
                    45..=89 => backends[i].1 = backends[i].1.saturating_sub(1),
                    90..=97 => backends[i].0 = !backends[i].0,
                    _ => backends[i].1 = ops.below(6),
                }
                r.set(i, backends[i].0, backends[i].1);
                let healthy: Vec<usize> = (0..n).filter(|&k| backends[k].0).collect();
                assert_eq!(r.in_rotation(), healthy.len(), "seed {seed}, step {step}");
                if healthy.is_empty() {
                    continue;
                }
                let rank = ops.below(healthy.len() as u32) as usize;
                assert_eq!(r.at_rank(rank), healthy[rank], "seed {seed}, step {step}");
                assert_eq!(r.rank_of(healthy[rank]), rank, "seed {seed}, step {step}");
                let from = ops.below(n as u32) as usize;
                assert_eq!(r.fewest_from(from), scan_fewest_from(&backends, from), "seed {seed}, step {step}");
            }
        }
    }

    #[test]
    fn open_changes_of_a_backend_out_of_rotation_are_ignored_until_it_returns() {
        let mut r = Rotation::new([(true, 3), (false, 0), (true, 2)].into_iter(), true);
        assert_eq!(r.fewest_from(0), 2);
        r.set_open(1, 0);
        assert_eq!(r.fewest_from(0), 2, "backend 1 is out of rotation");
        r.set(1, true, 5);
        assert_eq!((r.fewest_from(0), r.in_rotation()), (2, 3));
        r.set_open(2, 6);
        assert_eq!(r.fewest_from(2), 0);
    }

    #[test]
    fn without_counting_only_the_rotation_is_kept() {
        let mut r = Rotation::new((0..130).map(|i| (i % 3 != 0, 0)), false);
        assert_eq!(r.in_rotation(), 86);
        r.set(129, true, 4);
        r.set_open(129, 9);
        assert_eq!((r.in_rotation(), r.at_rank(86), r.rank_of(129)), (87, 129, 86));
        assert_eq!(r.at_rank(0), 1);
    }
}
