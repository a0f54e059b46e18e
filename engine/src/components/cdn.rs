//! A CDN: an edge location in every region, each with its own cache of
//! static objects (a user is served by the edge of their region, so a popular
//! object is fetched from the origin once per region), and the links to its
//! origins (several data centers can each be one: a miss goes to the nearest
//! origin that is up, so the CDN survives a data-center outage).

use crate::base::time::Nanos;
use crate::blocks::cache_store::{CacheStore, Lookup, Policy};
use crate::blocks::geo::Region;
use crate::blocks::request::Cause;
use crate::components::net::Network;
use crate::components::{Arrival, Component, Reply, Visit};

#[derive(Debug)]
pub(crate) struct Cdn {
    /// One edge per region, in `Region::ALL` order; created when first used.
    pub edges: Vec<Option<CacheStore>>,
    pub capacity: u64,
    pub ttl: Nanos,
    pub fallback: bool,
    pub origins: Vec<u16>,
}

impl Cdn {
    pub fn new(spec: &crate::model::scenario::CdnSpec) -> Cdn {
        Cdn {
            edges: (0..Region::ALL.len()).map(|_| None).collect(),
            capacity: spec.capacity,
            ttl: ((spec.ttl_s * 1e9) as Nanos).max(1),
            fallback: spec.fallback_to_origin,
            origins: Vec::new(),
        }
    }

    /// The edge serving users of `region` (users without a region: the first).
    pub fn edge(&mut self, region: Option<Region>) -> &mut CacheStore {
        let i = region.map_or(0, Region::index);
        let (capacity, ttl) = (self.capacity, self.ttl);
        self.edges[i].get_or_insert_with(|| {
            CacheStore::new(capacity, Policy::Lru, Some(ttl))
                .or_else(|_| CacheStore::new(1, Policy::Lru, None))
                .expect("a one-item cache is valid")
        })
    }

    /// New settings: a new size or lifetime starts the edges cold.
    pub(crate) fn retune(&mut self, spec: &crate::model::scenario::CdnSpec) {
        self.fallback = spec.fallback_to_origin;
        let fresh = Cdn::new(spec);
        if self.capacity != fresh.capacity || self.ttl != fresh.ttl {
            let origins = std::mem::take(&mut self.origins);
            *self = Cdn { origins, ..fresh };
        }
    }

    /// Every edge forgets everything (an outage).
    pub fn flush(&mut self) {
        for e in self.edges.iter_mut().flatten() {
            e.flush();
        }
    }

    /// A static request arrives at the edge of its region: a hit is answered
    /// there; a miss goes on to an origin.
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        let key = v.key();
        let region = v.req.region;
        if matches!(self.edge(region).get(key, v.now), Lookup::Hit { .. }) {
            let counters = &mut v.stats.counters;
            counters.hits += 1;
            counters.completed += 1;
            return Arrival::Answer;
        }
        v.stats.counters.misses += 1;
        match self.origin(v.net, region) {
            Some(link) => Arrival::Forward { link, to: v.net.end(link) as u16, delay: 0 },
            None => Arrival::Fail(Cause::NoRoute),
        }
    }

    /// The origin's answer: kept at the edge, passed on.
    pub(crate) fn answered(&mut self, v: &mut Visit) -> Reply {
        if v.req.failure.is_none() && v.serving() {
            let key = v.key();
            self.edge(v.req.region).fill(key, 0, v.now);
            v.stats.counters.completed += 1;
        }
        Reply::Pass
    }

    /// The origin a miss is fetched from: of the origins that are up, the
    /// nearest to the edge (the user's region); if none is up, the first (the
    /// fetch then fails there, as it would).
    fn origin(&self, net: &Network, region: Option<Region>) -> Option<u16> {
        let distance = |link: u16| match (region, net.slot_region[net.end(link)]) {
            (Some(a), Some(b)) => crate::blocks::geo::one_way_ms(a, b),
            _ => 0.0,
        };
        self.origins
            .iter()
            .copied()
            .filter(|&l| net.end_serving(l))
            .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))
            .or_else(|| self.origins.first().copied())
    }
}

/// Whether the users' static files go over `link` to their CDN: while it is
/// up, or when it is down but does not fall back to the origin (they fail
/// there). Otherwise they go to the site itself.
pub(crate) fn takes_static(components: &[Component], net: &Network, link: u16) -> bool {
    let cdn = net.end(link);
    let fallback = matches!(&components[cdn], Component::Cdn(c) if c.fallback);
    net.nodes[cdn].serving() || !fallback
}
