//! A cache node: a store of keys in front of the database. A web server asks
//! it first on a read (a miss sends the read on to the database, and the
//! answer is put in the cache on its way back), and after a write removes the
//! key, or marks it stale when the cache does not invalidate on writes.

use crate::base::rng::{Stream, StreamPurpose};
use crate::base::time::Nanos;
use crate::blocks::cache_store::{CacheStore, Lookup};
use crate::components::station::{Role, Station};
use crate::components::{Component, Work};
use crate::model::scenario::CacheSpec;
use std::collections::HashSet;

/// The memory of a cache node.
#[derive(Debug)]
pub struct CacheState {
    pub store: CacheStore,
    /// Keys written since they were cached, when writes do not invalidate: a
    /// hit on one is a stale read. At most the store's size (entries leave
    /// this set when refilled, invalidated or found missing).
    pub stale: HashSet<u64>,
    pub invalidate_on_write: bool,
    /// Web servers coalesce their misses on this cache's keys (one read per
    /// key in flight per server; see `Simulation::coalesce`).
    pub coalesce: bool,
    /// Early refresh: its β and its own random stream (`None`: off, and
    /// nothing is drawn, so designs without it keep their numbers).
    refresh: Option<(f64, Stream)>,
    /// How long the last fill took: from the reader's arrival at its web
    /// server to the database's answer being put in the cache. It stands in
    /// for the key's own recompute time Δ: keys of one cache are read from
    /// the same database, so one figure per cache serves (and costs no
    /// memory per key). 0 until the first fill.
    last_fill: Nanos,
    seed: u64,
    slot: usize,
}

impl CacheState {
    pub fn new(spec: &CacheSpec, seed: u64, slot: usize) -> CacheState {
        let ttl = spec.ttl_s.map(|s| ((s * 1e9) as Nanos).max(1));
        let store = CacheStore::new(spec.capacity, spec.policy, ttl)
            .or_else(|_| CacheStore::new(1, spec.policy, None))
            .expect("a one-item cache is valid");
        let mut c = CacheState {
            store,
            stale: HashSet::new(),
            invalidate_on_write: spec.invalidate_on_write,
            coalesce: spec.coalesce,
            refresh: None,
            last_fill: 0,
            seed,
            slot,
        };
        c.set_refresh(spec.early_refresh);
        c
    }

    /// Early refresh with `beta` (0: off). A stream already drawn from is
    /// kept, so turning β up or down goes on with the same draws.
    fn set_refresh(&mut self, beta: f64) {
        self.refresh = match self.refresh.take() {
            _ if beta <= 0.0 => None,
            Some((_, rng)) => Some((beta, rng)),
            None => Some((beta, Stream::new(self.seed, self.slot, StreamPurpose::Refresh))),
        };
    }

    /// Whether a change of settings needs a new (cold) store.
    pub fn needs_rebuild(&self, spec: &CacheSpec) -> bool {
        let ttl = spec.ttl_s.map(|s| ((s * 1e9) as Nanos).max(1));
        self.store.capacity() != spec.capacity || self.store.policy() != spec.policy || self.store.ttl() != ttl
    }

    /// New settings: a new size or policy restarts the cache empty.
    pub fn retune(&mut self, spec: &CacheSpec) {
        self.invalidate_on_write = spec.invalidate_on_write;
        self.coalesce = spec.coalesce;
        self.set_refresh(spec.early_refresh);
        if self.needs_rebuild(spec) {
            *self = CacheState::new(spec, self.seed, self.slot);
        }
    }

    /// Forgets everything (a restart or a flush).
    pub fn flush(&mut self) {
        self.store.flush();
        self.stale.clear();
    }
}

fn cache_mut(components: &mut [Component], slot: usize) -> Option<&mut CacheState> {
    match &mut components[slot] {
        Component::Station(Station { role: Role::Cache(c), .. }) => Some(c),
        _ => None,
    }
}

/// Cache `w.node` serves `w.req`: a hit answers it; a miss tells the web
/// server to read the database.
pub(crate) fn lookup(w: &mut Work) {
    if w.req.session_call {
        return; // a session read, not a data lookup
    }
    let (node, now) = (w.node, w.now);
    let key = w.key();
    let Some(c) = cache_mut(w.components, node) else { return };
    let mut hit = matches!(c.store.get(key, now), Lookup::Hit { .. });
    let refreshed = hit && c.refresh.is_some() && c.refresh_early(key, now);
    if refreshed {
        // Taken as a miss: this reader reads the database and refills the
        // key before it expires for everyone.
        w.stats[node].counters.early_refreshes += 1;
        hit = false;
    }
    let Some(c) = cache_mut(w.components, node) else { return };
    let stale = hit && c.stale.contains(&key);
    // A real miss has no copy left to be stale; an early refresh leaves the
    // copy (stale or not) for other readers until the refill replaces it.
    if !hit && !refreshed {
        c.stale.remove(&key);
    }
    let counters = &mut w.stats[node].counters;
    if hit {
        counters.hits += 1;
        if stale {
            counters.stale_reads += 1;
        }
    } else {
        counters.misses += 1;
    }
    w.req.cache_miss = !hit;
}

impl CacheState {
    /// Early refresh ("XFetch"): whether a hit on `key` at `now` is taken
    /// as a miss. With Δ the last fill's duration and β the setting, the
    /// chance is exp(−(expires − now)/(β·Δ)): negligible while expiry is
    /// many Δ away, certain at expiry, so about one reader refreshes the
    /// key in the last few Δ before it expires, while the others still hit.
    /// One draw per hit, from the cache's own stream.
    #[cold]
    fn refresh_early(&mut self, key: u64, now: Nanos) -> bool {
        let Some((beta, rng)) = &mut self.refresh else { return false };
        let Some(expires) = self.store.expires(key) else { return false };
        let u = rng.uniform();
        if expires == Nanos::MAX || self.last_fill == 0 {
            return false; // never expires, or no fill measured yet
        }
        let left = expires.saturating_sub(now) as f64;
        u < (-left / (*beta * self.last_fill as f64)).exp()
    }
}

/// Read-through: the database's answer for `key` is kept in cache `slot`;
/// `took` is how long the fill took (see `CacheState::last_fill`).
pub(crate) fn fill(components: &mut [Component], slot: usize, key: u64, now: Nanos, took: Nanos) {
    if let Some(c) = cache_mut(components, slot) {
        c.store.fill(key, 0, now);
        c.stale.remove(&key);
        c.last_fill = took;
    }
}

/// Whether cache `slot` wants its misses coalesced at the web servers.
pub(crate) fn coalesces(components: &[Component], slot: usize) -> bool {
    matches!(&components[slot], Component::Station(Station { role: Role::Cache(c), .. }) if c.coalesce)
}

/// `key` was written: cache `slot` drops its copy, or, when it does not
/// invalidate on writes, keeps it and knows it is stale.
pub(crate) fn written(components: &mut [Component], slot: usize, key: u64, now: Nanos) {
    let Some(c) = cache_mut(components, slot) else { return };
    if c.invalidate_on_write {
        c.store.invalidate(key);
        c.stale.remove(&key);
    } else if c.store.contains(key, now) {
        c.stale.insert(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::rig::Rig;

    const SECOND: Nanos = 1_000_000_000;

    /// A copy written meanwhile stays stale while one reader refreshes it
    /// early: the others still read it (stale reads), until the refill.
    #[test]
    fn an_early_refresh_leaves_a_stale_copy_stale_for_the_other_readers() {
        let users = r#"{"id": "n0", "kind": "users", "rps": 10}"#;
        let cache = r#"{"id": "n1", "kind": "cache", "ttl_s": 60, "invalidate_on_write": false, "early_refresh": 100}"#;
        let mut rig = Rig::new(&format!("{users}, {cache}"), &[(0, 1)]);
        let key = 5;
        // Filled at 1 s in 1 s, then written: the copy is stale.
        fill(&mut rig.components, 1, key, SECOND, SECOND);
        written(&mut rig.components, 1, key, SECOND);
        let read = |rig: &mut Rig, at: Nanos| {
            let id = rig.request(key, None, 1);
            rig.work(id, at, lookup);
            rig.arena.get(id).cache_miss
        };
        // A nanosecond before it expires at 61 s, a hit refreshes it for
        // certain (with probability exp(−1 ns/(β·1 s))).
        let last_moment = 61 * SECOND - 1;
        assert!(read(&mut rig, last_moment), "the first reader refreshes it early");
        let c = cache_mut(&mut rig.components, 1).unwrap();
        assert!(c.stale.contains(&key), "the copy is still the written-over one");
        c.set_refresh(0.0);
        assert!(!read(&mut rig, last_moment), "another reader hits the copy");
        let counters = &rig.stats[1].counters;
        assert_eq!((counters.early_refreshes, counters.misses, counters.hits, counters.stale_reads), (1, 1, 1, 1));
        // The refill replaces it: fresh again.
        fill(&mut rig.components, 1, key, 61 * SECOND, SECOND);
        assert!(!read(&mut rig, 62 * SECOND));
        assert_eq!((rig.stats[1].counters.hits, rig.stats[1].counters.stale_reads), (2, 1));
    }
}
