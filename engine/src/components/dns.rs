//! A DNS node: the first hop of every request. Each user's resolver group
//! keeps its answer (an entry point, by link) for the TTL; see `crate::blocks::dns`.
//! The authority answers only with entry points that are up, so after an
//! entry dies traffic drains from it as the cached answers expire.

use crate::blocks::dns::{DnsConfig, DnsPolicy, DnsView, ResolverCache};
use crate::blocks::geo::Region;
use crate::blocks::request::Cause;
use crate::components::{Arrival, Visit};
use crate::model::scenario::{DnsRouting, DnsSpec};

#[derive(Debug)]
pub struct DnsNode {
    pub spec: DnsSpec,
    /// Links to the entry points, in link order (target i is `links[i]`).
    pub links: Vec<u16>,
    /// Region of each entry (its data center's; `us-east` when it has none).
    regions: Vec<Region>,
    cache: Option<ResolverCache>,
    seed: u64,
}

impl DnsNode {
    pub fn new(spec: &DnsSpec, seed: u64) -> DnsNode {
        DnsNode { spec: spec.clone(), links: Vec::new(), regions: Vec::new(), cache: None, seed }
    }

    /// New entry links (with the region of each entry) or settings: resolvers
    /// start empty (every client asks again), which is what a changed record
    /// does once old answers expire.
    pub fn configure(&mut self, spec: &DnsSpec, links: Vec<u16>, regions: Vec<Region>) {
        if *spec == self.spec
            && links == self.links
            && regions == self.regions
            && (self.cache.is_some() || links.is_empty())
        {
            return;
        }
        self.spec = spec.clone();
        self.links = links;
        self.regions = regions;
        self.cache = None;
        if self.links.is_empty() {
            return;
        }
        let n = self.links.len();
        let policy = match spec.routing {
            DnsRouting::Single => DnsPolicy::Single { target: 0 },
            DnsRouting::Weighted => {
                DnsPolicy::Weighted { weights: (0..n).map(|i| spec.weights.get(i).copied().unwrap_or(1.0)).collect() }
            }
            DnsRouting::Nearest => DnsPolicy::Nearest,
        };
        let targets = (0..n).map(|i| self.regions.get(i).copied().unwrap_or(Region::UsEast)).collect();
        let mut config = DnsConfig::new(targets, policy);
        config.ttl_s = spec.ttl_s.round() as u64;
        config.resolve_ms = spec.resolve_ms;
        config.seed = self.seed;
        // Weights that are all zero are refused by the resolver: fall back to
        // an even split rather than leave the site unreachable.
        self.cache = ResolverCache::new(config.clone())
            .or_else(|_| {
                ResolverCache::new(DnsConfig { policy: DnsPolicy::Weighted { weights: vec![1.0; n] }, ..config })
            })
            .ok();
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn cache_mut(&mut self) -> Option<&mut ResolverCache> {
        self.cache.as_mut()
    }

    /// A request asks for the site's address: its resolver group answers
    /// (from its cache, or after a lookup that takes time) with an entry
    /// point, and the request connects there once it has the answer.
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        // Entry points that are up, as the authority sees them.
        let mut view = DnsView::all_healthy();
        for (i, &link) in self.links.iter().enumerate() {
            view.set_healthy(i, v.net.end_serving(link));
        }
        let user = u64::from(v.req.user);
        let region = v.req.region.unwrap_or(Region::UsEast);
        let resolved = self.cache.as_mut().map(|c| c.resolve(user, region, v.now, &view));
        match resolved.and_then(|r| Some((self.links.get(r.target?).copied()?, r.resolution_latency))) {
            Some((link, delay)) => Arrival::Forward { link, to: v.net.end(link) as u16, delay },
            None => Arrival::Fail(Cause::NoRoute),
        }
    }
}
