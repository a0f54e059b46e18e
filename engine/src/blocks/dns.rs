//! DNS: which data center a client's request goes to, the way clients really
//! find out.
//!
//! A browser does not ask the authoritative DNS server before every request. It
//! asks a resolver (its ISP's, its company's, a public one), and the resolver
//! keeps each answer for the record's TTL. That cache is why DNS failover is slow:
//! when a data center dies and the authority stops handing it out, every resolver
//! that already holds the old answer keeps sending its clients to the dead data
//! center until the answer expires. With TTL `T`, the last such request leaves no
//! later than `T` after the authority changed its mind, and not one moment before
//! the last cached copy runs out.
//!
//! We model the resolvers, not the individual clients: users are spread over a
//! fixed number `G` of resolver groups by a stable hash of the user id, and each
//! group has one cache slot per client region (resolvers are local, so a group's
//! European and Asian clients use different resolvers and get different GeoDNS
//! answers). Memory is therefore fixed at `6 × G` slots of 16 bytes, at most
//! 384 KiB, however many users there are.
//!
//! On a cache miss the authority answers by its [`DnsPolicy`]:
//!
//! - `Single`: plain DNS, one record. It has no health checks, so it keeps
//!   answering with its one target even when that target is down.
//! - `Weighted`: a split such as 70% / 30% between healthy targets. Each answer
//!   is drawn by hashing (seed, slot, number of questions that slot has asked),
//!   not from a shared random stream, so one group's answers never depend on how
//!   the other groups' requests happened to interleave. The draws are independent
//!   from one expiry to the next, as a real weighted record's are.
//! - `Nearest`: GeoDNS. Each client region goes to the healthy target with the
//!   smallest round trip ([`geo::rtt_ms`]); ties go to the region first in
//!   [`Region::ALL`], then to the lowest target index.
//!
//! Which targets are healthy is the authority's own opinion, learned from its
//! health checks; the caller passes it in as a [`DnsView`] and decides when it
//! changes. When no target is acceptable the authority gives no answer
//! (`target: None`); that answer is not cached, so clients ask again on their
//! next request. A miss, answered or not, costs the resolution latency; a hit
//! costs nothing.

use std::fmt;

use crate::base::time::{ms_to_ns, Nanos, NS_PER_S};
use crate::blocks::geo::{self, Region};
use crate::blocks::sharding::key_hash;

/// The most resolver groups.
pub const MAX_GROUPS: u32 = 4096;
/// A sensible number of resolver groups: enough for smooth shares (a failover
/// drains in steps of 0.1%), small enough to cost 96 KiB.
pub const DEFAULT_GROUPS: u32 = 1024;
/// The longest TTL accepted, in seconds (one day).
pub const MAX_TTL_S: u64 = 86_400;
/// The most targets (data centers or load balancers) a name can point at.
pub const MAX_TARGETS: usize = 64;
/// The slowest resolution accepted, in milliseconds.
pub const MAX_RESOLVE_MS: f64 = 10_000.0;

/// Keeps the resolver grouping independent of other uses of [`key_hash`] on user
/// ids (shards, sticky sessions), so DNS groups do not line up with shards.
const GROUP_SALT: u64 = 0xD45_0000_0000_0000;
/// "No answer cached" in a slot.
const NONE: u32 = u32::MAX;

/// How the authoritative server picks an answer.
#[derive(Clone, Debug, PartialEq)]
pub enum DnsPolicy {
    /// Always target `target`, healthy or not (plain DNS has no health checks).
    Single { target: usize },
    /// Target `i` with probability proportional to `weights[i]`, among the healthy
    /// targets; one weight per target.
    Weighted { weights: Vec<f64> },
    /// The healthy target nearest to the client's region (GeoDNS).
    Nearest,
}

/// Everything a [`ResolverCache`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct DnsConfig {
    /// The region of each target; targets are named by their index here.
    pub targets: Vec<Region>,
    pub policy: DnsPolicy,
    /// How long resolvers keep an answer, `0..=MAX_TTL_S` seconds; 0 = not at all.
    pub ttl_s: u64,
    /// Resolver groups, `1..=MAX_GROUPS`.
    pub groups: u32,
    /// What a cache miss costs the client, `0..=MAX_RESOLVE_MS` milliseconds.
    pub resolve_ms: f64,
    /// Seed of the weighted draws.
    pub seed: u64,
}

impl DnsConfig {
    /// A configuration with [`DEFAULT_GROUPS`] groups, a 60 s TTL, 20 ms
    /// resolutions and seed 0.
    pub fn new(targets: Vec<Region>, policy: DnsPolicy) -> DnsConfig {
        DnsConfig { targets, policy, ttl_s: 60, groups: DEFAULT_GROUPS, resolve_ms: 20.0, seed: 0 }
    }
}

/// A DNS parameter out of range; `Display` says what to do.
#[derive(Clone, Debug, PartialEq)]
pub enum DnsError {
    NoTargets,
    TooManyTargets {
        targets: usize,
    },
    /// `Single` names a target that does not exist.
    TargetOutOfRange {
        target: usize,
        targets: usize,
    },
    /// `Weighted` has a different number of weights than there are targets.
    WeightCount {
        weights: usize,
        targets: usize,
    },
    /// A weight that is negative, NaN or infinite.
    BadWeight {
        target: usize,
        weight: f64,
    },
    /// Every weight is zero, so no answer could ever be given.
    AllWeightsZero,
    TtlOutOfRange {
        ttl_s: u64,
    },
    GroupsOutOfRange {
        groups: u32,
    },
    ResolveMsOutOfRange {
        resolve_ms: f64,
    },
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsError::NoTargets => write!(
                f,
                "DNS needs at least one target to point at; link it to a load balancer or server"
            ),
            DnsError::TooManyTargets { targets } => write!(
                f,
                "DNS points at {targets} targets, more than the {MAX_TARGETS} supported; use at most {MAX_TARGETS}"
            ),
            DnsError::TargetOutOfRange { target, targets } => write!(
                f,
                "DNS points at target {target}, but there are only {targets} (numbered 0 to {})",
                targets.saturating_sub(1)
            ),
            DnsError::WeightCount { weights, targets } => write!(
                f,
                "weighted DNS needs one weight per target: {targets} targets but {weights} weights"
            ),
            DnsError::BadWeight { target, weight } => write!(
                f,
                "the weight of target {target} is {weight}; weights must be finite and not negative (70 and 30 give a 70%/30% split)"
            ),
            DnsError::AllWeightsZero => write!(
                f,
                "every DNS weight is zero, so no target would ever be chosen; give at least one target a positive weight"
            ),
            DnsError::TtlOutOfRange { ttl_s } => write!(
                f,
                "a DNS TTL of {ttl_s} s is out of range; use 0 (no caching) to {MAX_TTL_S} s (one day); 60 s is common"
            ),
            DnsError::GroupsOutOfRange { groups } => write!(
                f,
                "{groups} resolver groups is out of range; use 1 to {MAX_GROUPS}"
            ),
            DnsError::ResolveMsOutOfRange { resolve_ms } => write!(
                f,
                "a DNS resolution time of {resolve_ms} ms is out of range; use 0 to {MAX_RESOLVE_MS} ms (20 to 100 ms is typical)"
            ),
        }
    }
}

impl std::error::Error for DnsError {}

fn check_policy(policy: &DnsPolicy, targets: usize) -> Result<(), DnsError> {
    match policy {
        DnsPolicy::Single { target } if *target >= targets => {
            Err(DnsError::TargetOutOfRange { target: *target, targets })
        }
        DnsPolicy::Weighted { weights } => {
            if weights.len() != targets {
                return Err(DnsError::WeightCount { weights: weights.len(), targets });
            }
            if let Some((target, &weight)) = weights.iter().enumerate().find(|(_, w)| !w.is_finite() || **w < 0.0) {
                return Err(DnsError::BadWeight { target, weight });
            }
            if weights.iter().all(|&w| w == 0.0) {
                return Err(DnsError::AllWeightsZero);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The authority's opinion of which targets are healthy. Targets start healthy;
/// indices at or beyond [`MAX_TARGETS`] are always healthy (no such target exists).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DnsView {
    down: u64,
}

impl DnsView {
    /// Every target healthy.
    pub const fn all_healthy() -> DnsView {
        DnsView { down: 0 }
    }

    /// Marks `target` healthy or not.
    pub fn set_healthy(&mut self, target: usize, healthy: bool) {
        if target < MAX_TARGETS {
            let bit = 1u64 << target;
            if healthy {
                self.down &= !bit;
            } else {
                self.down |= bit;
            }
        }
    }

    /// This view with `target` marked down.
    pub fn with_down(mut self, target: usize) -> DnsView {
        self.set_healthy(target, false);
        self
    }

    pub fn is_healthy(&self, target: usize) -> bool {
        target >= MAX_TARGETS || self.down & (1u64 << target) == 0
    }
}

/// What one request learned from DNS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The target to connect to, or `None` when the authority had no answer.
    pub target: Option<usize>,
    /// Whether the answer came from the resolver's cache.
    pub cache_hit: bool,
    /// Time to add before the request leaves: the resolution cost on a miss, 0 on a hit.
    pub resolution_latency: Nanos,
}

/// Cumulative counts since the cache was made; `hits + misses` is the number of
/// resolutions and `no_answer` is part of `misses`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsCounters {
    pub hits: u64,
    pub misses: u64,
    pub no_answer: u64,
}

/// One resolver's cache entry for one name (16 bytes).
#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The first instant at which the answer has expired.
    expires: Nanos,
    /// The cached target, or [`NONE`].
    target: u32,
    /// How many times this slot has asked the authority (drives weighted draws).
    queries: u32,
}

const EMPTY: Slot = Slot { expires: 0, target: NONE, queries: 0 };

/// The resolvers in front of all clients; see the module documentation.
#[derive(Clone, Debug)]
pub struct ResolverCache {
    targets: Vec<Region>,
    policy: DnsPolicy,
    ttl: Nanos,
    groups: u32,
    resolve_ns: Nanos,
    seed: u64,
    /// `Region::ALL.len() × groups` slots, region-major.
    slots: Vec<Slot>,
    counters: DnsCounters,
}

impl ResolverCache {
    /// Empty caches for `config`, checked.
    pub fn new(config: DnsConfig) -> Result<ResolverCache, DnsError> {
        let n = config.targets.len();
        if n == 0 {
            return Err(DnsError::NoTargets);
        }
        if n > MAX_TARGETS {
            return Err(DnsError::TooManyTargets { targets: n });
        }
        check_policy(&config.policy, n)?;
        if config.ttl_s > MAX_TTL_S {
            return Err(DnsError::TtlOutOfRange { ttl_s: config.ttl_s });
        }
        if !(1..=MAX_GROUPS).contains(&config.groups) {
            return Err(DnsError::GroupsOutOfRange { groups: config.groups });
        }
        if !(0.0..=MAX_RESOLVE_MS).contains(&config.resolve_ms) {
            return Err(DnsError::ResolveMsOutOfRange { resolve_ms: config.resolve_ms });
        }
        Ok(ResolverCache {
            targets: config.targets,
            policy: config.policy,
            ttl: config.ttl_s * NS_PER_S,
            groups: config.groups,
            resolve_ns: ms_to_ns(config.resolve_ms),
            seed: config.seed,
            slots: vec![EMPTY; Region::ALL.len() * config.groups as usize],
            counters: DnsCounters::default(),
        })
    }

    /// Where `user`, a client in `client_region`, sends a request at `now`. A
    /// cached answer is returned as it is, even if its target has died since: the
    /// resolver cannot know. Otherwise the authority answers from `view`, and the
    /// answer is kept for the TTL: it is a hit up to `now + ttl - 1` and expired
    /// from `now + ttl` on.
    pub fn resolve(&mut self, user: u64, client_region: Region, now: Nanos, view: &DnsView) -> Resolution {
        let index = self.slot_index(user, client_region);
        let slot = self.slots[index];
        if slot.target != NONE && now < slot.expires {
            self.counters.hits += 1;
            return Resolution { target: Some(slot.target as usize), cache_hit: true, resolution_latency: 0 };
        }
        self.counters.misses += 1;
        let target = self.authority(index, slot.queries, client_region, view);
        let slot = &mut self.slots[index];
        slot.queries = slot.queries.wrapping_add(1);
        match target {
            Some(t) if self.ttl > 0 => {
                slot.target = t as u32;
                slot.expires = now.saturating_add(self.ttl);
            }
            Some(_) => {}
            None => {
                // Not cached: the next request asks again.
                *slot = Slot { target: NONE, ..*slot };
                self.counters.no_answer += 1;
            }
        }
        Resolution { target, cache_hit: false, resolution_latency: self.resolve_ns }
    }

    /// The authoritative answer for one slot's `queries`-th question.
    fn authority(&self, index: usize, queries: u32, client_region: Region, view: &DnsView) -> Option<usize> {
        match &self.policy {
            DnsPolicy::Single { target } => Some(*target),
            DnsPolicy::Nearest => self
                .targets
                .iter()
                .enumerate()
                .filter(|&(i, _)| view.is_healthy(i))
                .min_by(|&(i, &a), &(j, &b)| {
                    geo::rtt_ms(client_region, a)
                        .total_cmp(&geo::rtt_ms(client_region, b))
                        .then(a.cmp(&b))
                        .then(i.cmp(&j))
                })
                .map(|(i, _)| i),
            DnsPolicy::Weighted { weights } => {
                let eligible = || weights.iter().enumerate().filter(|&(i, &w)| w > 0.0 && view.is_healthy(i));
                // Scaled by the largest weight, so that the sum cannot overflow.
                let max = eligible().map(|(_, &w)| w).fold(0.0, f64::max);
                if max <= 0.0 {
                    return None;
                }
                let total: f64 = eligible().map(|(_, &w)| w / max).sum();
                let draw = key_hash(self.seed ^ key_hash(((index as u64) << 32) | u64::from(queries)));
                let x = (draw >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * total;
                let mut sum = 0.0;
                let mut last = None;
                for (i, &w) in eligible() {
                    sum += w / max;
                    last = Some(i);
                    if x < sum {
                        return Some(i);
                    }
                }
                last // Rounding left x at the very top: the last eligible target.
            }
        }
    }

    /// The slot of `user`'s resolver for clients in `region`.
    fn slot_index(&self, user: u64, region: Region) -> usize {
        let h = key_hash(user ^ GROUP_SALT);
        let group = ((u128::from(h) * u128::from(self.groups)) >> 64) as usize;
        region.index() * self.groups as usize + group
    }

    /// Replaces the authority's policy (the record was edited). Resolvers keep
    /// what they cached: the change reaches clients as their answers expire.
    pub fn set_policy(&mut self, policy: DnsPolicy) -> Result<(), DnsError> {
        check_policy(&policy, self.targets.len())?;
        self.policy = policy;
        Ok(())
    }

    /// Empties every resolver's cache.
    pub fn flush(&mut self) {
        for slot in &mut self.slots {
            slot.target = NONE;
            slot.expires = 0;
        }
    }

    /// For each target, how many resolver slots hold an unexpired answer
    /// pointing at it at `now` (how much of the world still believes in it).
    pub fn cached_counts(&self, now: Nanos) -> Vec<u64> {
        let mut counts = vec![0; self.targets.len()];
        for slot in &self.slots {
            if slot.target != NONE && now < slot.expires {
                if let Some(c) = counts.get_mut(slot.target as usize) {
                    *c += 1;
                }
            }
        }
        counts
    }

    pub fn counters(&self) -> DnsCounters {
        self.counters
    }

    /// The TTL in nanoseconds.
    pub fn ttl(&self) -> Nanos {
        self.ttl
    }

    pub fn targets(&self) -> &[Region] {
        &self.targets
    }

    pub fn policy(&self) -> &DnsPolicy {
        &self.policy
    }

    /// Cache slots held: `6 × groups`, fixed at creation.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Bytes held by the cache slots (the rest is a few words).
    pub fn memory_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::{Stream, StreamPurpose};
    use crate::base::time::NS_PER_MS;
    use Region::*;

    fn cache(targets: Vec<Region>, policy: DnsPolicy, ttl_s: u64, groups: u32) -> ResolverCache {
        ResolverCache::new(DnsConfig { ttl_s, groups, ..DnsConfig::new(targets, policy) }).unwrap()
    }

    /// Mean and standard error of the mean of a sample.
    fn mean_se(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0);
        (m, (v / n).sqrt())
    }

    #[test]
    fn answers_are_cached_for_exactly_the_ttl() {
        let mut c = cache(vec![UsEast], DnsPolicy::Single { target: 0 }, 30, 16);
        let v = DnsView::all_healthy();
        let t = 5 * NS_PER_S;
        let first = c.resolve(7, UsEast, t, &v);
        assert_eq!(first, Resolution { target: Some(0), cache_hit: false, resolution_latency: 20 * NS_PER_MS });
        let hit = c.resolve(7, UsEast, t + 30 * NS_PER_S - 1, &v);
        assert_eq!(hit, Resolution { target: Some(0), cache_hit: true, resolution_latency: 0 });
        assert!(!c.resolve(7, UsEast, t + 30 * NS_PER_S, &v).cache_hit);
        assert_eq!(c.counters(), DnsCounters { hits: 1, misses: 2, no_answer: 0 });
        assert_eq!(c.ttl(), 30 * NS_PER_S);
    }

    #[test]
    fn plain_dns_keeps_pointing_at_its_one_target_even_when_dead() {
        let mut c = cache(vec![UsEast, Europe], DnsPolicy::Single { target: 0 }, 0, 16);
        let dead = DnsView::all_healthy().with_down(0);
        for u in 0..100 {
            let r = c.resolve(u, Europe, u * NS_PER_S, &dead);
            assert_eq!(r.target, Some(0));
            assert!(!r.cache_hit);
        }
    }

    /// Target A (us-east) fails at t0 and the authority learns of it at once. The
    /// share of requests still reaching A at `t0 + s` follows renewal theory: a
    /// resolver group with request rate `r` holds an answer a fraction
    /// `T / (T + 1/r)` of the time, its age uniform, so it still holds a pre-t0
    /// answer at `t0 + s` with probability `(T - s) / (T + 1/r)`, reaching zero at
    /// exactly `T`. Twenty failures (A recovers 30 s after each) give the spread.
    #[test]
    fn failover_drains_linearly_and_ends_exactly_one_ttl_later() {
        const T_S: u64 = 10;
        const GROUPS: u32 = 4096;
        const USERS: u32 = 1 << 20;
        const RATE: f64 = 2048.0; // requests/s in all: 0.5/s per group, 1/r = 2 s.
        const EVENTS: usize = 20;
        let mut c = cache(vec![UsEast, UsWest], DnsPolicy::Nearest, T_S, GROUPS);
        // Users per group, for the exact theory with unequal group sizes.
        let mut per_group = vec![0u64; GROUPS as usize];
        for u in 0..u64::from(USERS) {
            per_group[c.slot_index(u, UsEast)] += 1;
        }
        let first_t0 = 200.0;
        let period = 60.0;
        let is_down = |t: f64| t >= first_t0 && (t - first_t0) % period < 30.0;
        let mut arrivals = Stream::new(11, 0, StreamPurpose::Arrivals);
        let mut who = Stream::new(11, 0, StreamPurpose::Routing);
        // Per event and 1 s bin after t0: (to A, total); then checks.
        let mut bins = vec![[(0u64, 0u64); T_S as usize]; EVENTS];
        let mut to_a_after_ttl = 0u64;
        let mut requests_after_ttl = 0u64;
        let mut to_a_last_tenth = 0u64;
        let mut before_t0 = (0u64, 0u64);
        let end = first_t0 + period * EVENTS as f64;
        let mut t = 0.0;
        loop {
            t += arrivals.exponential(1.0 / RATE);
            if t >= end {
                break;
            }
            let view = if is_down(t) { DnsView::all_healthy().with_down(0) } else { DnsView::all_healthy() };
            let user = u64::from(who.below(USERS));
            let now = (t * 1e9) as Nanos;
            let r = c.resolve(user, UsEast, now, &view);
            let to_a = r.target == Some(0);
            if t < first_t0 {
                continue;
            }
            let k = ((t - first_t0) / period) as usize;
            let s = t - first_t0 - period * k as f64;
            if s < T_S as f64 {
                let bin = &mut bins[k][s as usize];
                bin.0 += u64::from(to_a);
                bin.1 += 1;
                if s >= 0.9 * T_S as f64 {
                    to_a_last_tenth += u64::from(to_a);
                }
            } else if s < 30.0 {
                to_a_after_ttl += u64::from(to_a);
                requests_after_ttl += 1;
            } else if s >= period - T_S as f64 {
                // A has been back for 20 s > T: every answer points at A again.
                before_t0.0 += u64::from(to_a);
                before_t0.1 += 1;
            }
        }
        assert_eq!(to_a_after_ttl, 0, "a request reached A after t0 + TTL");
        assert!(requests_after_ttl > 500_000, "{requests_after_ttl}");
        assert!(to_a_last_tenth > 100, "{to_a_last_tenth}: A must drain until the end");
        assert_eq!(before_t0.0, before_t0.1, "before t0 everyone uses A");
        let total_users: f64 = per_group.iter().sum::<u64>() as f64;
        for b in 0..T_S as usize {
            let s = b as f64 + 0.5;
            // Request-weighted over groups: group g sends a share n_g/U of requests.
            let theory: f64 = per_group
                .iter()
                .map(|&n| {
                    let r = RATE * n as f64 / total_users;
                    n as f64 / total_users * (T_S as f64 - s) / (T_S as f64 + 1.0 / r)
                })
                .sum();
            let shares: Vec<f64> = bins.iter().map(|e| e[b].0 as f64 / e[b].1 as f64).collect();
            let (m, se) = mean_se(&shares);
            println!("bin {b}: share to A {m:.4} ± {se:.4}, theory {theory:.4}");
            assert!((m - theory).abs() < 5.0 * se, "bin {b}: {m} vs {theory} (se {se})");
        }
    }

    #[test]
    fn ttl_zero_moves_everyone_at_once() {
        let mut c = cache(vec![Europe, UsEast], DnsPolicy::Nearest, 0, 256);
        let mut rng = Stream::new(3, 0, StreamPurpose::Routing);
        let t0 = 50 * NS_PER_S;
        let mut before = 0;
        for i in 0..100_000u64 {
            let now = i * NS_PER_MS;
            let view = if now >= t0 { DnsView::all_healthy().with_down(0) } else { DnsView::all_healthy() };
            let r = c.resolve(u64::from(rng.below(1 << 30)), Europe, now, &view);
            assert!(!r.cache_hit);
            assert_eq!(r.resolution_latency, 20 * NS_PER_MS);
            if now >= t0 {
                assert_eq!(r.target, Some(1), "at {now}");
            } else {
                assert_eq!(r.target, Some(0));
                before += 1;
            }
        }
        assert_eq!(before, 50_000);
        assert_eq!(c.cached_counts(0), [0, 0]);
    }

    #[test]
    fn weighted_split_matches_the_weights() {
        // 70/30 over 4096 groups × 50 expiries: 204,800 answers.
        let mut c = cache(vec![UsEast, UsWest], DnsPolicy::Weighted { weights: vec![70.0, 30.0] }, 60, 4096);
        let v = DnsView::all_healthy();
        let epochs = 50u64;
        let mut answers = [0u64; 2];
        let mut previous = vec![None; 4096];
        let (mut same, mut pairs) = (0u64, 0u64);
        for e in 0..epochs {
            let now = e * 60 * NS_PER_S;
            for u in 0..40_000u64 {
                let r = c.resolve(u, Asia, now, &v);
                if !r.cache_hit {
                    let t = r.target.unwrap();
                    answers[t] += 1;
                    let g = c.slot_index(u, Asia) - Asia.index() * 4096;
                    if let Some(p) = previous[g].replace(t) {
                        same += u64::from(p == t);
                        pairs += 1;
                    }
                }
            }
        }
        let n = (answers[0] + answers[1]) as f64;
        assert_eq!(n, 4096.0 * epochs as f64, "every group asks once per TTL");
        let share = answers[0] as f64 / n;
        let se = (0.7 * 0.3 / n).sqrt();
        println!("70/30: share {share:.5}, se {se:.5}");
        assert!((share - 0.7).abs() < 5.0 * se, "{share}");
        // Successive answers of a group are independent: P(same) = 0.7² + 0.3².
        let p_same = same as f64 / pairs as f64;
        let se_same = (0.58 * 0.42 / pairs as f64).sqrt();
        println!("same answer twice: {p_same:.5} vs 0.58, se {se_same:.5}");
        assert!((p_same - 0.58).abs() < 5.0 * se_same, "{p_same}");

        // Three targets, TTL 0: every request is a fresh draw.
        let mut c = cache(vec![UsEast, UsWest, Europe], DnsPolicy::Weighted { weights: vec![1.0, 2.0, 7.0] }, 0, 64);
        let mut counts = [0u64; 3];
        let n = 300_000u64;
        for i in 0..n {
            counts[c.resolve(i % 1000, Europe, i, &v).target.unwrap()] += 1;
        }
        for (i, p) in [0.1, 0.2, 0.7].into_iter().enumerate() {
            let share = counts[i] as f64 / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            println!("1/2/7 target {i}: {share:.5} vs {p}, se {se:.5}");
            assert!((share - p).abs() < 5.0 * se, "target {i}: {share}");
        }
    }

    #[test]
    fn weighted_skips_unhealthy_and_zero_weight_targets() {
        let policy = DnsPolicy::Weighted { weights: vec![70.0, 30.0, 0.0] };
        let mut c = cache(vec![UsEast, UsWest, Europe], policy, 0, 64);
        let a_down = DnsView::all_healthy().with_down(0);
        for u in 0..1000 {
            assert_eq!(c.resolve(u, UsEast, u, &a_down).target, Some(1));
        }
        // Only the zero-weight target is left: no answer, not cached, still paid.
        let both_down = a_down.with_down(1);
        let mut c = cache(vec![UsEast, UsWest, Europe], c.policy().clone(), 60, 64);
        let r = c.resolve(1, UsEast, 0, &both_down);
        assert_eq!(r, Resolution { target: None, cache_hit: false, resolution_latency: 20 * NS_PER_MS });
        assert_eq!(c.counters().no_answer, 1);
        // The first answer after recovery is cached as usual.
        let r = c.resolve(1, UsEast, 1, &DnsView::all_healthy());
        assert!(r.target.is_some() && !r.cache_hit);
        assert!(c.resolve(1, UsEast, 2, &both_down).cache_hit);
    }

    #[test]
    fn nearest_picks_home_then_the_next_nearest_healthy_target() {
        let targets = Region::ALL.to_vec();
        let mut c = cache(targets.clone(), DnsPolicy::Nearest, 0, 16);
        let all = DnsView::all_healthy();
        for region in Region::ALL {
            assert_eq!(c.resolve(1, region, 0, &all).target, Some(region.index()));
            let down = all.with_down(region.index());
            let others: Vec<Region> = Region::ALL.into_iter().filter(|&r| r != region).collect();
            let expected = geo::nearest(region, &others).unwrap();
            assert_eq!(
                c.resolve(1, region, 0, &down).target,
                Some(expected.index()),
                "{region} with its own data center down"
            );
        }
        let pick = |c: &mut ResolverCache, from, down: &[usize]| {
            let mut v = DnsView::all_healthy();
            for &d in down {
                v.set_healthy(d, false);
            }
            c.resolve(9, from, 0, &v).target
        };
        assert_eq!(pick(&mut c, Europe, &[Europe.index()]), Some(UsEast.index()));
        assert_eq!(pick(&mut c, Oceania, &[Oceania.index()]), Some(Asia.index()));
        assert_eq!(pick(&mut c, SouthAmerica, &[SouthAmerica.index()]), Some(UsEast.index()));
        let everything: Vec<usize> = (0..6).collect();
        assert_eq!(pick(&mut c, Asia, &everything), None);

        // Two targets in one region: the lower index, then the other.
        let mut two = cache(vec![Asia, Europe, Europe], DnsPolicy::Nearest, 0, 16);
        assert_eq!(pick(&mut two, Europe, &[]), Some(1));
        assert_eq!(pick(&mut two, Europe, &[1]), Some(2));
        assert_eq!(pick(&mut two, Europe, &[1, 2]), Some(0));
        // Marking it healthy again brings it back.
        let mut v = DnsView::all_healthy().with_down(1);
        v.set_healthy(1, true);
        assert_eq!(two.resolve(3, Europe, 0, &v).target, Some(1));
        // Out-of-range view entries are harmless.
        v.set_healthy(1000, false);
        assert!(v.is_healthy(1000));
    }

    #[test]
    fn regions_have_their_own_resolvers() {
        let mut c = cache(vec![UsEast, Europe], DnsPolicy::Nearest, 60, 1);
        let v = DnsView::all_healthy();
        // One group only: the same user in two regions still gets two answers.
        assert_eq!(c.resolve(5, UsEast, 0, &v).target, Some(0));
        assert_eq!(c.resolve(5, Europe, 0, &v).target, Some(1));
        assert!(c.resolve(6, Europe, 1, &v).cache_hit);
        assert_eq!(c.cached_counts(1), [1, 1]);
        assert_eq!(c.cached_counts(60 * NS_PER_S), [0, 0]);
        c.flush();
        assert!(!c.resolve(6, Europe, 2, &v).cache_hit);
    }

    #[test]
    fn a_policy_change_reaches_clients_as_answers_expire() {
        let mut c = cache(vec![UsEast, UsWest], DnsPolicy::Single { target: 0 }, 60, 64);
        let v = DnsView::all_healthy();
        for u in 0..10_000 {
            c.resolve(u, UsEast, 0, &v);
        }
        c.set_policy(DnsPolicy::Single { target: 1 }).unwrap();
        let late = 60 * NS_PER_S - 1;
        assert!((0..10_000).all(|u| c.resolve(u, UsEast, late, &v).target == Some(0)));
        assert!((0..10_000).all(|u| c.resolve(u, UsEast, late + 1, &v).target == Some(1)));
        assert_eq!(
            c.set_policy(DnsPolicy::Single { target: 2 }),
            Err(DnsError::TargetOutOfRange { target: 2, targets: 2 })
        );
        assert_eq!(c.policy(), &DnsPolicy::Single { target: 1 });
        assert_eq!(c.targets(), [UsEast, UsWest]);
    }

    #[test]
    fn the_same_inputs_give_the_same_answers() {
        let run = |seed: u64| {
            let mut c = ResolverCache::new(DnsConfig {
                seed,
                ttl_s: 5,
                groups: 128,
                ..DnsConfig::new(vec![UsEast, Europe, Asia], DnsPolicy::Weighted { weights: vec![1.0, 1.0, 1.0] })
            })
            .unwrap();
            let mut rng = Stream::new(seed, 0, StreamPurpose::Routing);
            (0..20_000u64)
                .map(|i| {
                    let region = Region::ALL[rng.below(6) as usize];
                    let view = DnsView::all_healthy().with_down((i / 3000 % 4) as usize);
                    c.resolve(u64::from(rng.below(5000)), region, i * NS_PER_MS, &view)
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        let (a, b) = (run(1), run(2));
        assert_ne!(a, b);
    }

    #[test]
    fn memory_does_not_grow_with_users() {
        let mut c = cache(vec![UsEast, Europe], DnsPolicy::Nearest, 60, MAX_GROUPS);
        assert_eq!(c.slot_count(), 6 * 4096);
        let bytes = c.memory_bytes();
        assert_eq!(std::mem::size_of::<Slot>(), 16);
        assert!(bytes <= 384 * 1024, "{bytes}");
        let v = DnsView::all_healthy();
        for u in 0..1_000_000u64 {
            c.resolve(u.wrapping_mul(0x9E37_79B9), Region::ALL[(u % 6) as usize], u, &v);
        }
        assert_eq!(c.slot_count(), 6 * 4096);
        assert_eq!(c.memory_bytes(), bytes);
        // Every slot is in use by now, and users spread evenly over groups.
        let cached: u64 = c.cached_counts(1_000_000).iter().sum();
        assert_eq!(cached, 6 * 4096);
        // Extreme times never overflow.
        let r = c.resolve(1, UsEast, u64::MAX, &v);
        assert!(!r.cache_hit);
        assert!(c.resolve(1, UsEast, u64::MAX - 1, &v).cache_hit);
    }

    #[test]
    fn bad_configurations_are_refused_with_useful_messages() {
        let err = |config: DnsConfig| ResolverCache::new(config).unwrap_err();
        let base = DnsConfig::new(vec![UsEast, Europe], DnsPolicy::Nearest);
        assert_eq!(
            err(DnsConfig { targets: vec![], ..base.clone() }).to_string(),
            "DNS needs at least one target to point at; link it to a load balancer or server"
        );
        assert_eq!(
            err(DnsConfig { targets: vec![UsEast; 65], ..base.clone() }),
            DnsError::TooManyTargets { targets: 65 }
        );
        assert!(ResolverCache::new(DnsConfig { targets: vec![UsEast; 64], ..base.clone() }).is_ok());
        assert_eq!(
            err(DnsConfig { policy: DnsPolicy::Single { target: 2 }, ..base.clone() }).to_string(),
            "DNS points at target 2, but there are only 2 (numbered 0 to 1)"
        );
        let weighted = |weights: Vec<f64>| DnsConfig { policy: DnsPolicy::Weighted { weights }, ..base.clone() };
        assert_eq!(
            err(weighted(vec![1.0])).to_string(),
            "weighted DNS needs one weight per target: 2 targets but 1 weights"
        );
        assert_eq!(
            err(weighted(vec![1.0, -1.0])).to_string(),
            "the weight of target 1 is -1; weights must be finite and not negative (70 and 30 give a 70%/30% split)"
        );
        assert!(matches!(err(weighted(vec![f64::NAN, 1.0])), DnsError::BadWeight { target: 0, .. }));
        assert!(matches!(err(weighted(vec![1.0, f64::INFINITY])), DnsError::BadWeight { target: 1, .. }));
        assert_eq!(
            err(weighted(vec![0.0, 0.0])).to_string(),
            "every DNS weight is zero, so no target would ever be chosen; give at least one target a positive weight"
        );
        assert_eq!(
            err(DnsConfig { ttl_s: 86_401, ..base.clone() }).to_string(),
            "a DNS TTL of 86401 s is out of range; use 0 (no caching) to 86400 s (one day); 60 s is common"
        );
        assert_eq!(
            err(DnsConfig { groups: 0, ..base.clone() }).to_string(),
            "0 resolver groups is out of range; use 1 to 4096"
        );
        assert_eq!(err(DnsConfig { groups: 4097, ..base.clone() }), DnsError::GroupsOutOfRange { groups: 4097 });
        for resolve_ms in [-1.0, f64::NAN, 10_001.0] {
            assert!(matches!(err(DnsConfig { resolve_ms, ..base.clone() }), DnsError::ResolveMsOutOfRange { .. }));
        }
        assert_eq!(
            err(DnsConfig { resolve_ms: -1.0, ..base.clone() }).to_string(),
            "a DNS resolution time of -1 ms is out of range; use 0 to 10000 ms (20 to 100 ms is typical)"
        );
        // Huge but finite weights whose sum would overflow still split evenly.
        let mut c = ResolverCache::new(DnsConfig { ttl_s: 0, ..weighted(vec![f64::MAX, f64::MAX]) }).unwrap();
        let to_0 = (0..1000).filter(|&u| c.resolve(u, UsEast, 0, &DnsView::all_healthy()).target == Some(0)).count();
        assert!((400..=600).contains(&to_0), "{to_0}");
        // The edges are accepted.
        assert!(ResolverCache::new(DnsConfig { ttl_s: 86_400, groups: 1, resolve_ms: 0.0, ..base }).is_ok());
    }
}
