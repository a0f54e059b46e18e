//! Sharding: which shard holds a key (a user id), and what that choice costs.
//!
//! Two routing functions are taught side by side:
//!
//! - **Modulo** — `shard = user_id % N`, on the raw id, exactly as the textbook
//!   writes it. Perfectly even for consecutive ids, but changing `N` moves almost
//!   every key: going from `N` to `N + 1` shards moves `N / (N + 1)` of them.
//! - **Consistent hashing** — every shard owns `v` virtual nodes ("vnodes"), points
//!   on a ring of 2^64 hash values; a key belongs to the first vnode at or after its
//!   hash, wrapping past the top. Adding a shard only takes keys *to* the new shard
//!   (about `1 / (N + 1)` of them), removing one only moves *its* keys. More vnodes
//!   per shard even out the shard sizes: their spread shrinks like `1 / sqrt(v)`.
//!
//! Everything here is a pure function of its inputs, with our own fixed hash, so
//! the same key lands on the same shard natively, in the browser and next year.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most shards a router may have (the editor's dial stops here too).
pub const MAX_SHARDS: u32 = 1024;
/// The most virtual nodes per shard: beyond this the ring costs memory and
/// build time (1024 × 1000 points ≈ 10 MB) without visibly better balance.
pub const MAX_VNODES_PER_SHARD: u32 = 1000;
/// Keys evaluated by [`moved_share`] when no exact method applies.
pub const DEFAULT_SAMPLE_KEYS: u64 = 200_000;
/// The most keys any function here will walk, so that a call stays well under a
/// second even in the browser.
pub const MAX_SAMPLE_KEYS: u64 = 10_000_000;

/// The SplitMix64 golden-ratio increment.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
/// Separates the vnode points' inputs from user ids, so that user id `k` and the
/// vnode whose index happens to encode as `k` do not share a hash by construction.
const VNODE_SALT: u64 = 0x5CA1_E1AB_0000_0000;

/// The SplitMix64 output finaliser (Steele, Lea and Flood, 2014; the constants are
/// Stafford's "Mix13"). A bijection on `u64` with full avalanche: flipping any
/// input bit flips each output bit with probability close to one half.
///
/// We write it out rather than use `std::hash::DefaultHasher`, whose algorithm the
/// standard library may change between releases; shard placement must never move
/// because the compiler was upgraded.
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stable 64-bit hash of a key: the first output of a SplitMix64 generator
/// seeded with the key, `mix64(key + 0x9E3779B97F4A7C15)`. It is a bijection, so
/// distinct keys never collide, and `key_hash(0)` is SplitMix64's published first
/// output for seed 0 (`0xE220A8397B1DCDAF`), which anchors the golden test. The
/// load balancer's sticky routing uses the same function.
pub const fn key_hash(key: u64) -> u64 {
    mix64(key.wrapping_add(GAMMA))
}

/// The hasher of maps keyed by `u64` data keys ([`KeyMap`]): [`key_hash`],
/// fixed and fast. Keys come from the simulation, not from an adversary, so hash
/// flooding is no concern; such maps serve lookups only, so their iteration
/// order never reaches a result.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, k: u64) {
        self.0 = key_hash(self.0 ^ k);
    }
}

/// A map from data keys, hashed by [`KeyHasher`].
pub(crate) type KeyMap<V> = std::collections::HashMap<u64, V, std::hash::BuildHasherDefault<KeyHasher>>;

/// The ring position of virtual node `vnode` of shard `shard`. It depends on the
/// shard's own id and the vnode index only — never on how many shards exist — which
/// is what lets a ring grow or shrink without disturbing the other shards' points.
/// The inputs `(shard << 32 | vnode) ^ salt` are distinct for distinct pairs and
/// [`key_hash`] is a bijection, so two vnodes never share a point.
fn vnode_point(shard: u32, vnode: u32) -> u64 {
    key_hash(((u64::from(shard) << 32) | u64::from(vnode)) ^ VNODE_SALT)
}

/// A problem with a sharding request, worded for the person who made it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ShardingError {
    /// A router needs at least one shard.
    NoShards,
    /// More shards than [`MAX_SHARDS`].
    TooManyShards { shards: u64 },
    /// A shard id of [`MAX_SHARDS`] or more in an explicit member list.
    ShardIdTooLarge { shard: u32 },
    /// The same shard id twice in an explicit member list.
    DuplicateShard { shard: u32 },
    /// Virtual nodes per shard outside `1..=MAX_VNODES_PER_SHARD`.
    VnodesOutOfRange { vnodes: u32 },
    /// A key count outside `1..=MAX_SAMPLE_KEYS`.
    KeysOutOfRange { keys: u64 },
    /// A key weight that is negative, NaN or infinite.
    BadWeight { key: u64, weight: f64 },
    /// Every key weighs zero (or the total overflowed), so there is no load to share.
    NoLoad,
    /// A celebrity share outside `0..=1`.
    CelebrityShareOutOfRange { share: f64 },
}

impl fmt::Display for ShardingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShardingError::NoShards => write!(f, "a sharded tier needs at least 1 shard"),
            ShardingError::TooManyShards { shards } => write!(
                f,
                "{shards} shards is more than the {MAX_SHARDS} this simulator supports; use at most {MAX_SHARDS}"
            ),
            ShardingError::ShardIdTooLarge { shard } => write!(
                f,
                "shard id {shard} is too large; shard ids go from 0 to {}",
                MAX_SHARDS - 1
            ),
            ShardingError::DuplicateShard { shard } => {
                write!(f, "shard {shard} is listed twice; each shard may appear once")
            }
            ShardingError::VnodesOutOfRange { vnodes } => write!(
                f,
                "{vnodes} virtual nodes per shard is out of range; use 1 to {MAX_VNODES_PER_SHARD} (100 to 200 is typical)"
            ),
            ShardingError::KeysOutOfRange { keys } => write!(
                f,
                "{keys} keys is out of range; use 1 to {MAX_SAMPLE_KEYS}"
            ),
            ShardingError::BadWeight { key, weight } => write!(
                f,
                "key {key} has weight {weight}; weights must be finite and not negative"
            ),
            ShardingError::NoLoad => write!(
                f,
                "the keys carry no load (every weight is zero, or the total is too large to add up); give some keys a positive weight"
            ),
            ShardingError::CelebrityShareOutOfRange { share } => write!(
                f,
                "a celebrity share of {share} is out of range; use a fraction from 0 to 1 (0.1 means 10% of all requests)"
            ),
        }
    }
}

impl std::error::Error for ShardingError {}

/// How keys are routed to shards, as a scenario would describe it.
///
/// Serialises as `{"routing": "modulo", "shards": 4}` or
/// `{"routing": "consistent_hash", "shards": 4, "vnodes_per_shard": 160}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "routing", rename_all = "snake_case")]
pub enum RouterSpec {
    /// `shard = user_id % shards`.
    Modulo { shards: u32 },
    /// A hash ring with `vnodes_per_shard` points for each of the shards `0..shards`.
    ConsistentHash { shards: u32, vnodes_per_shard: u32 },
}

/// A checked, ready-to-use routing function from keys to shard ids.
///
/// Built only through its constructors, so a router always has at least one shard
/// and lookups cannot fail.
#[derive(Clone, PartialEq, Eq)]
pub struct Router {
    inner: Inner,
}

#[derive(Clone, PartialEq, Eq)]
enum Inner {
    Modulo { shards: u32 },
    Ring(Ring),
}

/// The hash ring: vnode points in ascending order and, beside each, its shard.
/// Two parallel vectors (8 + 2 bytes a point) rather than a vector of pairs keep
/// the largest ring at about 10 MB and make the binary search touch less memory.
#[derive(Clone, PartialEq, Eq)]
struct Ring {
    points: Vec<u64>,
    owners: Vec<u16>,
    /// Live shard ids, ascending.
    members: Vec<u32>,
    vnodes_per_shard: u32,
}

impl Ring {
    fn build(members: Vec<u32>, vnodes_per_shard: u32) -> Ring {
        let mut pairs: Vec<(u64, u32)> = Vec::with_capacity(members.len() * vnodes_per_shard as usize);
        for &shard in &members {
            pairs.extend((0..vnodes_per_shard).map(|v| (vnode_point(shard, v), shard)));
        }
        // Points are distinct (see `vnode_point`), so this order is total and the
        // ring is the same whatever order the members were given in.
        crate::base::order::sort_pairs(&mut pairs);
        // Shard ids are checked to be below MAX_SHARDS (1024), so they fit u16.
        let (points, owners) = pairs.into_iter().map(|(point, shard)| (point, shard as u16)).unzip();
        Ring { points, owners, members, vnodes_per_shard }
    }

    /// Index of the vnode owning hash `h`: the first point at or after `h`,
    /// wrapping to the first point when `h` is past the last one.
    fn index_of(&self, h: u64) -> usize {
        let i = self.points.partition_point(|&p| p < h);
        if i == self.points.len() {
            0
        } else {
            i
        }
    }

    fn owner_of_hash(&self, h: u64) -> u32 {
        u32::from(self.owners[self.index_of(h)])
    }

    /// Each shard's exact share of the 2^64 hash values, indexed by shard id.
    /// Vnode `i` owns the arc `(points[i-1], points[i]]`; the first vnode also owns
    /// the wrap-around arc past the last point. Lengths add up in `u128`, so the
    /// arcs sum to exactly 2^64 before the single division per shard.
    fn arc_shares(&self, id_bound: usize) -> Vec<f64> {
        let mut arcs = vec![0u128; id_bound];
        let n = self.points.len();
        for i in 0..n {
            let len = if i == 0 {
                u128::from(self.points[0]) + (1u128 << 64) - u128::from(self.points[n - 1])
            } else {
                u128::from(self.points[i] - self.points[i - 1])
            };
            arcs[usize::from(self.owners[i])] += len;
        }
        arcs.into_iter().map(|a| a as f64 / TWO_POW_64).collect()
    }
}

const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

impl Router {
    /// `shard = key % shards`, on the raw key.
    pub fn modulo(shards: u32) -> Result<Router, ShardingError> {
        check_shard_count(u64::from(shards))?;
        Ok(Router { inner: Inner::Modulo { shards } })
    }

    /// A hash ring over shards `0..shards`, each with `vnodes_per_shard` points.
    /// Building the largest ring (1024 shards × 1000 vnodes) sorts about a million
    /// points: tens of milliseconds natively, so build once and reuse.
    pub fn consistent_hash(shards: u32, vnodes_per_shard: u32) -> Result<Router, ShardingError> {
        check_shard_count(u64::from(shards))?;
        check_vnodes(vnodes_per_shard)?;
        Ok(Router { inner: Inner::Ring(Ring::build((0..shards).collect(), vnodes_per_shard)) })
    }

    /// A hash ring over an explicit set of shard ids, for example `[0, 1, 3, 4]`
    /// after shard 2 was removed. Every remaining shard keeps its own vnode points,
    /// so only the removed shard's keys move.
    pub fn consistent_hash_members(members: &[u32], vnodes_per_shard: u32) -> Result<Router, ShardingError> {
        check_shard_count(members.len() as u64)?;
        check_vnodes(vnodes_per_shard)?;
        let mut sorted = members.to_vec();
        crate::base::order::sort_by_u64(&mut sorted, |&m| u64::from(m));
        for (i, &shard) in sorted.iter().enumerate() {
            if shard >= MAX_SHARDS {
                return Err(ShardingError::ShardIdTooLarge { shard });
            }
            if i > 0 && sorted[i - 1] == shard {
                return Err(ShardingError::DuplicateShard { shard });
            }
        }
        Ok(Router { inner: Inner::Ring(Ring::build(sorted, vnodes_per_shard)) })
    }

    /// The router a [`RouterSpec`] describes.
    pub fn from_spec(spec: &RouterSpec) -> Result<Router, ShardingError> {
        match *spec {
            RouterSpec::Modulo { shards } => Router::modulo(shards),
            RouterSpec::ConsistentHash { shards, vnodes_per_shard } => {
                Router::consistent_hash(shards, vnodes_per_shard)
            }
        }
    }

    /// The shard that holds `key`.
    pub fn shard_of(&self, key: u64) -> u32 {
        match &self.inner {
            // `shards` is at least 1 by construction; the remainder is below 1024.
            Inner::Modulo { shards } => (key % u64::from(*shards)) as u32,
            Inner::Ring(ring) => ring.owner_of_hash(key_hash(key)),
        }
    }

    /// How many shards hold keys.
    pub fn shard_count(&self) -> u32 {
        match &self.inner {
            Inner::Modulo { shards } => *shards,
            Inner::Ring(ring) => ring.members.len() as u32,
        }
    }

    /// One more than the largest shard id: the length of every per-shard vector
    /// returned here. Equal to [`Router::shard_count`] unless an explicit member
    /// list left gaps.
    pub fn id_bound(&self) -> u32 {
        match &self.inner {
            Inner::Modulo { shards } => *shards,
            Inner::Ring(ring) => ring.members.last().map_or(0, |&m| m + 1),
        }
    }

    /// The live shard ids, ascending.
    pub fn members(&self) -> Vec<u32> {
        match &self.inner {
            Inner::Modulo { shards } => (0..*shards).collect(),
            Inner::Ring(ring) => ring.members.clone(),
        }
    }

    /// Virtual nodes per shard, or `None` for modulo routing.
    pub fn vnodes_per_shard(&self) -> Option<u32> {
        match &self.inner {
            Inner::Modulo { .. } => None,
            Inner::Ring(ring) => Some(ring.vnodes_per_shard),
        }
    }

    /// Each shard's share of uniformly random keys: exactly `1/N` each under
    /// modulo, and under consistent hashing the exact share of the hash space its
    /// vnodes' arcs cover (what a very large population of keys converges to).
    pub fn expected_shares(&self) -> LoadShares {
        let shares = match &self.inner {
            Inner::Modulo { shards } => vec![1.0 / f64::from(*shards); *shards as usize],
            Inner::Ring(ring) => ring.arc_shares(self.id_bound() as usize),
        };
        LoadShares::from_shares(shares, &self.members())
    }
}

impl fmt::Debug for Router {
    // The ring can hold a million points; print what identifies it instead.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            Inner::Modulo { shards } => f.debug_struct("Router::Modulo").field("shards", shards).finish(),
            Inner::Ring(ring) => f
                .debug_struct("Router::ConsistentHash")
                .field("members", &ring.members)
                .field("vnodes_per_shard", &ring.vnodes_per_shard)
                .finish(),
        }
    }
}

fn check_shard_count(shards: u64) -> Result<(), ShardingError> {
    if shards == 0 {
        Err(ShardingError::NoShards)
    } else if shards > u64::from(MAX_SHARDS) {
        Err(ShardingError::TooManyShards { shards })
    } else {
        Ok(())
    }
}

fn check_vnodes(vnodes: u32) -> Result<(), ShardingError> {
    if (1..=MAX_VNODES_PER_SHARD).contains(&vnodes) {
        Ok(())
    } else {
        Err(ShardingError::VnodesOutOfRange { vnodes })
    }
}

fn check_keys(keys: u64) -> Result<(), ShardingError> {
    if (1..=MAX_SAMPLE_KEYS).contains(&keys) {
        Ok(())
    } else {
        Err(ShardingError::KeysOutOfRange { keys })
    }
}

/// How a [`Movement`] was measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum MoveMethod {
    /// Modulo to modulo: counted over one full period of `period = lcm(N, M)`
    /// consecutive ids, after which the pattern repeats. Exact for uniform ids.
    FullPeriod { period: u64 },
    /// Ring to ring: the exact share of the 2^64 hash values whose owner changes,
    /// from the arcs of both rings. Exact for uniformly random keys.
    HashSpace,
    /// Anything else (modulo to ring or back): the ids `0..keys` were routed both
    /// ways and counted. An estimate, with standard error `sqrt(s(1-s)/keys)`.
    Sampled { keys: u64 },
}

/// The share of keys that change shard when one router replaces another.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Movement {
    /// From 0 (nothing moves) to 1 (every key moves).
    pub share: f64,
    #[serde(flatten)]
    pub method: MoveMethod,
}

/// The share of keys that must move when resharding from `from` to `to`
/// (for example 4 → 5 shards), computed exactly where possible:
///
/// - modulo → modulo: closed form over a full period. An id `x` stays iff
///   `x mod N = x mod M`; by the Chinese remainder theorem each common residue
///   `r < min(N, M)` has exactly one solution per `lcm(N, M)` ids, so the moved
///   share is `1 - min(N, M) / lcm(N, M)`: `N / (N + 1)` when adding one shard;
/// - ring → ring: exact, from the hash-space arcs (see [`MoveMethod::HashSpace`]);
/// - otherwise: the ids `0..sample_keys` are routed both ways ([`DEFAULT_SAMPLE_KEYS`]
///   is a good choice). `sample_keys` must be in `1..=MAX_SAMPLE_KEYS` even when an
///   exact method applies, so that a bad value is caught whatever the routers are.
pub fn moved_share(from: &Router, to: &Router, sample_keys: u64) -> Result<Movement, ShardingError> {
    check_keys(sample_keys)?;
    Ok(match (&from.inner, &to.inner) {
        (Inner::Modulo { shards: n }, Inner::Modulo { shards: m }) => {
            let (n, m) = (u64::from(*n), u64::from(*m));
            let period = n / gcd(n, m) * m;
            let stay = n.min(m);
            // `period - stay` and `period` are exact in f64 (both below 2^21).
            Movement { share: (period - stay) as f64 / period as f64, method: MoveMethod::FullPeriod { period } }
        }
        (Inner::Ring(a), Inner::Ring(b)) => Movement { share: ring_moved_share(a, b), method: MoveMethod::HashSpace },
        _ => Movement {
            share: moved_share_sampled(from, to, sample_keys)?,
            method: MoveMethod::Sampled { keys: sample_keys },
        },
    })
}

/// The share of the ids `0..keys` whose shard differs between `from` and `to`,
/// counted one by one. Useful as a cross-check of [`moved_share`], and for
/// populations that are not a full modulo period.
pub fn moved_share_sampled(from: &Router, to: &Router, keys: u64) -> Result<f64, ShardingError> {
    check_keys(keys)?;
    let moved = (0..keys).filter(|&k| from.shard_of(k) != to.shard_of(k)).count();
    Ok(moved as f64 / keys as f64)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Exact share of hash values owned by different shards in rings `a` and `b`.
/// The union of both rings' points cuts the circle into segments inside which
/// neither owner changes; segment `(u[i-1], u[i]]` belongs, in each ring, to the
/// owner of `u[i]`, and the wrap-around segment to the owner of `u[0]`.
fn ring_moved_share(a: &Ring, b: &Ring) -> f64 {
    let mut cuts: Vec<u64> = Vec::with_capacity(a.points.len() + b.points.len());
    cuts.extend_from_slice(&a.points);
    cuts.extend_from_slice(&b.points);
    crate::base::order::sort_by_u64(&mut cuts, |&c| c);
    cuts.dedup();
    let mut moved: u128 = 0;
    for (i, &cut) in cuts.iter().enumerate() {
        if a.owner_of_hash(cut) == b.owner_of_hash(cut) {
            continue;
        }
        moved += if i == 0 {
            u128::from(cut) + (1u128 << 64) - u128::from(cuts[cuts.len() - 1])
        } else {
            u128::from(cut - cuts[i - 1])
        };
    }
    moved as f64 / TWO_POW_64
}

/// Each shard's share of the load, and how uneven that is.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadShares {
    /// Share of all load per shard id (`0..id_bound`); ids that are not live
    /// shards hold 0. Live shares add up to 1 (up to rounding).
    pub shares: Vec<f64>,
    /// The live shard with the largest share (the lowest id among equals).
    pub hottest: u32,
    /// That shard's share.
    pub max_share: f64,
    /// `max_share` divided by the mean share of the live shards: 1 is perfectly
    /// even, 2 means the hottest shard does twice its fair part of the work.
    pub imbalance: f64,
    /// Coefficient of variation of the live shards' shares (population standard
    /// deviation over mean): the spread that virtual nodes shrink.
    pub cv: f64,
}

impl LoadShares {
    /// Summarises per-shard shares that already add up to 1 over `members`.
    fn from_shares(shares: Vec<f64>, members: &[u32]) -> LoadShares {
        // Callers pass vectors of length `id_bound`; `get` keeps a mismatch harmless.
        let share_of = |m: u32| shares.get(m as usize).copied().unwrap_or(0.0);
        let live = || members.iter().map(|&m| share_of(m));
        let mut hottest = members.first().copied().unwrap_or(0);
        let mut max_share = f64::NEG_INFINITY;
        for &m in members {
            if share_of(m) > max_share {
                max_share = share_of(m);
                hottest = m;
            }
        }
        let n = members.len().max(1) as f64;
        let mean = live().sum::<f64>() / n;
        let variance = live().map(|s| (s - mean) * (s - mean)).sum::<f64>() / n;
        let (imbalance, cv) = if mean > 0.0 { (max_share / mean, variance.sqrt() / mean) } else { (1.0, 0.0) };
        LoadShares { shares, hottest, max_share, imbalance, cv }
    }

    /// The shares after one "celebrity" key starts carrying `share` of all
    /// requests: the other requests (`1 - share`) keep spreading as `self` says,
    /// and the celebrity's shard gets `share` on top. Under an even spread over `N`
    /// shards the hot shard therefore carries `share + (1 - share) / N`.
    pub fn with_celebrity(&self, router: &Router, celebrity_key: u64, share: f64) -> Result<LoadShares, ShardingError> {
        if !(0.0..=1.0).contains(&share) {
            return Err(ShardingError::CelebrityShareOutOfRange { share });
        }
        let hot = router.shard_of(celebrity_key) as usize;
        let mut shares: Vec<f64> = self.shares.iter().map(|s| s * (1.0 - share)).collect();
        // `self` should come from the same router; if it came from a smaller one
        // (a caller's mistake), pad with zeros rather than index out of bounds.
        if shares.len() < router.id_bound() as usize {
            shares.resize(router.id_bound() as usize, 0.0);
        }
        shares[hot] += share;
        Ok(LoadShares::from_shares(shares, &router.members()))
    }
}

/// Per-shard load when key `k` (a user id) carries `weights[k]` requests, for the
/// ids `0..weights.len()`. Weights need not add up to 1.
pub fn load_shares(router: &Router, weights: &[f64]) -> Result<LoadShares, ShardingError> {
    load_shares_by(router, weights.len() as u64, |k| weights[k as usize])
}

/// Per-shard load for the keys `0..keys`, key `k` weighing `weight(k)` — a
/// popularity curve such as Zipf, `1 / (k + 1)^s`. Keys are visited in id order,
/// so the floating-point sums (and the result) are reproducible.
pub fn load_shares_by(router: &Router, keys: u64, weight: impl Fn(u64) -> f64) -> Result<LoadShares, ShardingError> {
    check_keys(keys)?;
    let mut sums = vec![0.0f64; router.id_bound() as usize];
    for k in 0..keys {
        let w = weight(k);
        if !w.is_finite() || w < 0.0 {
            return Err(ShardingError::BadWeight { key: k, weight: w });
        }
        sums[router.shard_of(k) as usize] += w;
    }
    let total: f64 = sums.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(ShardingError::NoLoad);
    }
    let shares = sums.into_iter().map(|s| s / total).collect();
    Ok(LoadShares::from_shares(shares, &router.members()))
}

/// Per-shard load when each of the ids `0..keys` sends the same traffic.
pub fn uniform_load_shares(router: &Router, keys: u64) -> Result<LoadShares, ShardingError> {
    load_shares_by(router, keys, |_| 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(shards: u32, vnodes: u32) -> Router {
        Router::consistent_hash(shards, vnodes).unwrap()
    }

    fn modulo(shards: u32) -> Router {
        Router::modulo(shards).unwrap()
    }

    /// Standard deviation of one shard's hash-space share on a ring of `n` shards
    /// with `v` vnodes each. The `n·v` points are uniform on the circle, so the
    /// arcs are a flat Dirichlet and a shard's share (the sum of `v` arcs) is
    /// Beta(v, (n-1)v): mean `1/n`, variance `(n-1) / (n² (n v + 1))`.
    fn beta_share_sd(n: f64, v: f64) -> f64 {
        ((n - 1.0) / (n * n * (n * v + 1.0))).sqrt()
    }

    #[test]
    fn key_hash_matches_published_splitmix64_outputs() {
        // SplitMix64 seeded with 0 yields these three values first; stepping its
        // state by GAMMA is the same as hashing the keys 0, GAMMA and 2·GAMMA.
        assert_eq!(key_hash(0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(key_hash(GAMMA), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(key_hash(GAMMA.wrapping_mul(2)), 0x06C4_5D18_8009_454F);
        assert_eq!(mix64(0), 0);
    }

    #[test]
    fn shard_placement_is_frozen() {
        // Golden values: if these change, every saved scenario's shards move.
        let r = ring(4, 100);
        let got: Vec<u32> = (0..12).map(|k| r.shard_of(k)).collect();
        assert_eq!(got, GOLDEN_RING_4X100);
        assert_eq!(vnode_point(0, 0), key_hash(VNODE_SALT));
    }

    const GOLDEN_RING_4X100: [u32; 12] = [2, 1, 0, 3, 1, 3, 2, 3, 2, 0, 2, 2];

    #[test]
    fn key_hash_avalanches() {
        // Flipping one input bit should flip 32 of 64 output bits on average.
        let mut flipped = 0u64;
        let mut trials = 0u64;
        for k in 0..2_000u64 {
            for bit in 0..64 {
                flipped += u64::from((key_hash(k) ^ key_hash(k ^ (1 << bit))).count_ones());
                trials += 1;
            }
        }
        let mean = flipped as f64 / trials as f64;
        // Binomial(64, 1/2) has sd 4; over 128,000 trials the mean's sd is 0.011.
        assert!((mean - 32.0).abs() < 0.1, "mean flipped bits {mean}");
    }

    #[test]
    fn modulo_routes_the_raw_id() {
        let r = modulo(4);
        assert_eq!(r.shard_of(10), 2);
        assert_eq!(r.shard_of(u64::MAX), (u64::MAX % 4) as u32);
        assert_eq!(modulo(1).shard_of(12345), 0);
        assert_eq!(r.vnodes_per_shard(), None);
    }

    #[test]
    fn modulo_growth_moves_n_over_n_plus_1_exactly() {
        for n in 1..=64u32 {
            let m = moved_share(&modulo(n), &modulo(n + 1), DEFAULT_SAMPLE_KEYS).unwrap();
            let theory = f64::from(n) / f64::from(n + 1);
            assert_eq!(m.share, theory, "{n} -> {}", n + 1);
            assert_eq!(m.method, MoveMethod::FullPeriod { period: u64::from(n) * u64::from(n + 1) });
        }
        // 4 -> 5: the textbook 80%.
        assert_eq!(moved_share(&modulo(4), &modulo(5), 1).unwrap().share, 0.8);
        // Doubling moves exactly half; halving too.
        assert_eq!(moved_share(&modulo(4), &modulo(8), 1).unwrap().share, 0.5);
        assert_eq!(moved_share(&modulo(8), &modulo(4), 1).unwrap().share, 0.5);
        assert_eq!(moved_share(&modulo(7), &modulo(7), 1).unwrap().share, 0.0);
    }

    #[test]
    fn modulo_closed_form_agrees_with_counting_a_period() {
        for (n, m) in [(4u32, 5u32), (6, 4), (10, 15), (12, 18), (1024, 1023), (3, 1)] {
            let exact = moved_share(&modulo(n), &modulo(m), 1).unwrap();
            let MoveMethod::FullPeriod { period } = exact.method else { panic!("not full period") };
            let counted = moved_share_sampled(&modulo(n), &modulo(m), period).unwrap();
            assert!((exact.share - counted).abs() < 1e-12, "{n}->{m}: {} vs {counted}", exact.share);
        }
    }

    #[test]
    fn consistent_growth_moves_about_one_over_n_plus_1() {
        // The new shard's share is Beta(v, N v): mean 1/(N+1). Allow 4 sd.
        for n in [4u32, 8, 16, 32] {
            for v in [100u32, 160, 200] {
                let m = moved_share(&ring(n, v), &ring(n + 1, v), DEFAULT_SAMPLE_KEYS).unwrap();
                assert_eq!(m.method, MoveMethod::HashSpace);
                let theory = 1.0 / f64::from(n + 1);
                let sd = beta_share_sd(f64::from(n + 1), f64::from(v));
                assert!((m.share - theory).abs() < 4.0 * sd, "{n}->{} v={v}: {} vs {theory} (sd {sd})", n + 1, m.share);
                // And it is far below modulo's N/(N+1).
                assert!(m.share < 0.5 * f64::from(n) / f64::from(n + 1));
            }
        }
    }

    #[test]
    fn consistent_growth_only_moves_keys_to_the_new_shard() {
        let (old, new) = (ring(4, 160), ring(5, 160));
        let mut moved = 0u64;
        for k in 0..DEFAULT_SAMPLE_KEYS {
            let (a, b) = (old.shard_of(k), new.shard_of(k));
            if a != b {
                assert_eq!(b, 4, "key {k} moved {a} -> {b}");
                moved += 1;
            }
        }
        // The moved keys are exactly those the new shard now holds.
        let held = (0..DEFAULT_SAMPLE_KEYS).filter(|&k| new.shard_of(k) == 4).count() as u64;
        assert_eq!(moved, held);
    }

    #[test]
    fn exact_ring_movement_agrees_with_a_sample() {
        let (a, b) = (ring(4, 160), ring(5, 160));
        let exact = moved_share(&a, &b, 1).unwrap().share;
        let sampled = moved_share_sampled(&a, &b, DEFAULT_SAMPLE_KEYS).unwrap();
        let se = (exact * (1.0 - exact) / DEFAULT_SAMPLE_KEYS as f64).sqrt();
        assert!((exact - sampled).abs() < 4.0 * se, "exact {exact} sampled {sampled} se {se}");
        // The moved share is the new shard's share of the hash space, to the bit.
        assert_eq!(exact, b.expected_shares().shares[4]);
    }

    #[test]
    fn removing_a_shard_moves_only_its_keys() {
        let all = ring(5, 160);
        let without_2 = Router::consistent_hash_members(&[0, 1, 3, 4], 160).unwrap();
        assert_eq!(without_2.shard_count(), 4);
        assert_eq!(without_2.id_bound(), 5);
        for k in 0..DEFAULT_SAMPLE_KEYS {
            let (a, b) = (all.shard_of(k), without_2.shard_of(k));
            assert!(a == b || a == 2, "key {k} moved {a} -> {b}");
            assert_ne!(b, 2);
        }
        let moved = moved_share(&all, &without_2, 1).unwrap().share;
        assert_eq!(moved, all.expected_shares().shares[2]);
        assert_eq!(without_2.expected_shares().shares[2], 0.0);
        // Removing the last shard is the same as a ring of one shard fewer.
        assert_eq!(Router::consistent_hash_members(&[3, 1, 0, 2], 160).unwrap(), ring(4, 160));
    }

    #[test]
    fn more_vnodes_shrink_the_spread_like_one_over_sqrt_v() {
        // 1000 shards give a precise sample coefficient of variation. Theory:
        // cv = sqrt((n-1) / (n v + 1)), i.e. about 1/sqrt(v).
        let n = 1000.0;
        let cv = |v: u32| ring(1000, v).expected_shares().cv;
        let theory = |v: f64| ((n - 1.0) / (n * v + 1.0)).sqrt();
        let (cv1, cv200) = (cv(1), cv(200));
        assert!((cv1 / theory(1.0) - 1.0).abs() < 0.15, "v=1: cv {cv1} theory {}", theory(1.0));
        assert!((cv200 / theory(200.0) - 1.0).abs() < 0.15, "v=200: cv {cv200} theory {}", theory(200.0));
        let ratio = cv1 / cv200;
        assert!((ratio / 200f64.sqrt() - 1.0).abs() < 0.2, "ratio {ratio} vs sqrt(200)");
    }

    #[test]
    fn uniform_ids_split_exactly_evenly_under_modulo() {
        for n in [1u32, 3, 4, 7, 10, 64] {
            let shares = uniform_load_shares(&modulo(n), u64::from(n) * 1000).unwrap();
            assert!(shares.shares.iter().all(|&s| s == 1.0 / f64::from(n)), "{n}: {:?}", shares.shares);
            // The summary divides by a mean that is itself rounded: equal to 1 ulp.
            assert!((shares.imbalance - 1.0).abs() < 1e-15, "{}", shares.imbalance);
            assert!(shares.cv < 1e-15, "{}", shares.cv);
            assert_eq!(shares.hottest, 0);
        }
        let expected = modulo(4).expected_shares();
        assert_eq!(expected.shares, vec![0.25; 4]);
    }

    #[test]
    fn celebrity_shard_gets_c_plus_the_rest_split() {
        let r = modulo(8);
        let base = uniform_load_shares(&r, 8_000).unwrap();
        for c in [0.0, 0.05, 0.3, 1.0] {
            let hot = base.with_celebrity(&r, 13, c).unwrap();
            // With c = 0 all shards tie and the lowest id is reported.
            assert_eq!(hot.hottest, if c > 0.0 { 5 } else { 0 });
            assert!((hot.max_share - (c + (1.0 - c) / 8.0)).abs() < 1e-12);
            assert!((hot.imbalance - 8.0 * (c + (1.0 - c) / 8.0)).abs() < 1e-12);
            for s in (0..8).filter(|&s| s != 5) {
                assert!((hot.shares[s] - (1.0 - c) / 8.0).abs() < 1e-12);
            }
            assert!((hot.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // On a ring the celebrity lands wherever its hash does.
        let ring = ring(8, 160);
        let hot = ring.expected_shares().with_celebrity(&ring, 13, 0.1).unwrap();
        assert_eq!(hot.hottest, ring.shard_of(13));
        assert!(hot.imbalance > 1.7);
    }

    #[test]
    fn zipf_popularity_makes_shard_zero_hot_under_modulo() {
        // Ids ranked by popularity: id 0 is the most popular, so modulo puts the
        // head of the curve on the low shards.
        let r = modulo(10);
        let zipf = load_shares_by(&r, 100_000, |k| 1.0 / (k as f64 + 1.0)).unwrap();
        assert_eq!(zipf.hottest, 0);
        assert!(zipf.imbalance > 1.5, "imbalance {}", zipf.imbalance);
        // The slice form agrees with the closure form.
        let weights: Vec<f64> = (0..100_000).map(|k| 1.0 / (k as f64 + 1.0)).collect();
        assert_eq!(load_shares(&r, &weights).unwrap(), zipf);
    }

    #[test]
    fn modulo_to_ring_moves_about_three_quarters() {
        // Independent placements agree with probability about 1/N.
        let m = moved_share(&modulo(4), &ring(4, 160), DEFAULT_SAMPLE_KEYS).unwrap();
        assert_eq!(m.method, MoveMethod::Sampled { keys: DEFAULT_SAMPLE_KEYS });
        assert!((m.share - 0.75).abs() < 0.02, "{}", m.share);
    }

    #[test]
    fn ring_lookup_wraps_around() {
        let r = ring(3, 2);
        let Inner::Ring(ring) = &r.inner else { panic!("not a ring") };
        let first = u32::from(ring.owners[0]);
        let last = *ring.points.last().unwrap();
        assert_eq!(ring.owner_of_hash(u64::MAX), first);
        if last < u64::MAX {
            assert_eq!(ring.owner_of_hash(last + 1), first);
        }
        assert_eq!(ring.owner_of_hash(0), first);
        assert_eq!(ring.owner_of_hash(ring.points[1]), u32::from(ring.owners[1]));
        let shares = r.expected_shares();
        assert!((shares.shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_shard_takes_everything() {
        for r in [modulo(1), ring(1, 1), ring(1, 1000)] {
            assert!((0..1000).all(|k| r.shard_of(k) == 0));
            assert_eq!(r.expected_shares().shares, vec![1.0]);
        }
    }

    #[test]
    fn largest_ring_builds_and_routes() {
        let r = ring(MAX_SHARDS, MAX_VNODES_PER_SHARD);
        assert_eq!(r.shard_count(), MAX_SHARDS);
        assert!((0..10_000).all(|k| r.shard_of(k) < MAX_SHARDS));
        assert!(r.expected_shares().cv < 0.05);
    }

    #[test]
    fn specs_build_routers_and_round_trip() {
        let spec = RouterSpec::ConsistentHash { shards: 4, vnodes_per_shard: 160 };
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(json, r#"{"routing":"consistent_hash","shards":4,"vnodes_per_shard":160}"#);
        assert_eq!(serde_json::from_str::<RouterSpec>(&json).unwrap(), spec);
        assert_eq!(Router::from_spec(&spec).unwrap(), ring(4, 160));
        assert_eq!(Router::from_spec(&RouterSpec::Modulo { shards: 4 }).unwrap(), modulo(4));
        assert_eq!(format!("{:?}", modulo(4)), "Router::Modulo { shards: 4 }");
    }

    #[test]
    fn bad_input_is_refused_with_a_message() {
        let cases: Vec<ShardingError> = vec![
            Router::modulo(0).unwrap_err(),
            Router::modulo(MAX_SHARDS + 1).unwrap_err(),
            Router::consistent_hash(4, 0).unwrap_err(),
            Router::consistent_hash(4, MAX_VNODES_PER_SHARD + 1).unwrap_err(),
            Router::consistent_hash_members(&[], 10).unwrap_err(),
            Router::consistent_hash_members(&[1, 1], 10).unwrap_err(),
            Router::consistent_hash_members(&[MAX_SHARDS], 10).unwrap_err(),
            moved_share(&modulo(2), &modulo(3), 0).unwrap_err(),
            moved_share_sampled(&modulo(2), &modulo(3), MAX_SAMPLE_KEYS + 1).unwrap_err(),
            load_shares(&modulo(2), &[]).unwrap_err(),
            load_shares(&modulo(2), &[1.0, f64::NAN]).unwrap_err(),
            load_shares(&modulo(2), &[1.0, -1.0]).unwrap_err(),
            load_shares(&modulo(2), &[f64::INFINITY]).unwrap_err(),
            load_shares(&modulo(2), &[0.0, 0.0]).unwrap_err(),
            load_shares(&modulo(2), &[f64::MAX, f64::MAX]).unwrap_err(),
            modulo(2).expected_shares().with_celebrity(&modulo(2), 0, 1.5).unwrap_err(),
            modulo(2).expected_shares().with_celebrity(&modulo(2), 0, f64::NAN).unwrap_err(),
        ];
        assert_eq!(cases[0], ShardingError::NoShards);
        assert_eq!(cases[1], ShardingError::TooManyShards { shards: 1025 });
        assert_eq!(cases[5], ShardingError::DuplicateShard { shard: 1 });
        assert!(matches!(cases[10], ShardingError::BadWeight { key: 1, weight } if weight.is_nan()));
        for e in &cases {
            let msg = e.to_string();
            assert!(msg.len() > 20 && !msg.contains('{'), "{msg}");
        }
        assert!(cases[1].to_string().contains("1024"));
        assert!(cases[3].to_string().contains("1 to 1000"));
    }

    #[test]
    fn celebrity_with_a_foreign_base_does_not_panic() {
        let small = modulo(2).expected_shares();
        let big = modulo(8);
        let hot = small.with_celebrity(&big, 7, 0.5).unwrap();
        assert_eq!(hot.hottest, 7);
        let hot = small.with_celebrity(&big, 1, 0.5).unwrap();
        assert_eq!(hot.hottest, 1);
        assert_eq!(hot.shares.len(), 8);
    }
}
