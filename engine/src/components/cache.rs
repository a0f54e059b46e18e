//! A cache node: a store of keys in front of the database. A web server asks
//! it first on a read (a miss sends the read on to the database, and the
//! answer is put in the cache on its way back), and after a write removes the
//! key, or marks it stale when the cache does not invalidate on writes.

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
}

impl CacheState {
    pub fn new(spec: &CacheSpec) -> CacheState {
        let ttl = spec.ttl_s.map(|s| ((s * 1e9) as Nanos).max(1));
        let store = CacheStore::new(spec.capacity, spec.policy, ttl)
            .or_else(|_| CacheStore::new(1, spec.policy, None))
            .expect("a one-item cache is valid");
        CacheState { store, stale: HashSet::new(), invalidate_on_write: spec.invalidate_on_write }
    }

    /// Whether a change of settings needs a new (cold) store.
    pub fn needs_rebuild(&self, spec: &CacheSpec) -> bool {
        let ttl = spec.ttl_s.map(|s| ((s * 1e9) as Nanos).max(1));
        self.store.capacity() != spec.capacity || self.store.policy() != spec.policy || self.store.ttl() != ttl
    }

    /// New settings: a new size or policy restarts the cache empty.
    pub fn retune(&mut self, spec: &CacheSpec) {
        self.invalidate_on_write = spec.invalidate_on_write;
        if self.needs_rebuild(spec) {
            *self = CacheState::new(spec);
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
    let hit = matches!(c.store.get(key, now), Lookup::Hit { .. });
    let stale = hit && c.stale.contains(&key);
    if !hit {
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

/// Read-through: the database's answer for `key` is kept in cache `slot`.
pub(crate) fn fill(components: &mut [Component], slot: usize, key: u64, now: Nanos) {
    if let Some(c) = cache_mut(components, slot) {
        c.store.fill(key, 0, now);
        c.stale.remove(&key);
    }
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
