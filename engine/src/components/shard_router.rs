//! A shard router: sends each request to the database (shard) that owns its
//! key, like a load balancer that chooses by key instead of by load. It adds
//! no delay. When shards are added or removed it reports the share of keys
//! that now belong to another shard: the data that resharding must move.

use crate::blocks::request::Cause;
use crate::blocks::sharding::{moved_share, Router, DEFAULT_SAMPLE_KEYS};
use crate::components::{Arrival, Visit};
use crate::model::scenario::{ShardRouterSpec, ShardRouting};

#[derive(Debug)]
pub struct ShardRouter {
    pub routing: ShardRouting,
    pub vnodes: u32,
    /// Links to the shards, in link order (shard i is `links[i]`).
    pub links: Vec<u16>,
    router: Option<Router>,
    /// The share of keys the last change of shards moved.
    pub last_moved: Option<f64>,
}

impl ShardRouter {
    pub fn new(spec: &ShardRouterSpec) -> ShardRouter {
        ShardRouter { routing: spec.routing, vnodes: spec.vnodes, links: Vec::new(), router: None, last_moved: None }
    }

    fn build(&self, shards: usize) -> Option<Router> {
        if shards == 0 {
            return None;
        }
        let n = shards as u32;
        match self.routing {
            ShardRouting::Modulo => Router::modulo(n).ok(),
            ShardRouting::ConsistentHash => Router::consistent_hash(n, self.vnodes).ok(),
        }
    }

    /// New shard links (or new settings): rebuilds the routing and returns the
    /// share of keys that moved, when there were shards before and after.
    pub fn set_links(&mut self, links: Vec<u16>) -> Option<f64> {
        if links == self.links && self.router.is_some() != links.is_empty() {
            return None;
        }
        let old = self.router.take();
        self.router = self.build(links.len());
        self.links = links;
        let moved = match (&old, &self.router) {
            (Some(a), Some(b)) if a != b => moved_share(a, b, DEFAULT_SAMPLE_KEYS).ok().map(|m| m.share),
            _ => None,
        };
        if moved.is_some() {
            self.last_moved = moved;
        }
        moved
    }

    /// New settings: the routing function changes (and with it where keys live).
    pub fn update(&mut self, spec: &ShardRouterSpec) -> Option<f64> {
        if spec.routing == self.routing && spec.vnodes == self.vnodes {
            return None;
        }
        self.routing = spec.routing;
        self.vnodes = spec.vnodes;
        let old = self.router.take();
        self.router = self.build(self.links.len());
        let moved = match (&old, &self.router) {
            (Some(a), Some(b)) => moved_share(a, b, DEFAULT_SAMPLE_KEYS).ok().map(|m| m.share),
            _ => None,
        };
        self.last_moved = moved.or(self.last_moved);
        moved
    }

    /// The link to the shard that owns `key`; `None` without shards.
    pub fn link_for(&self, key: u64) -> Option<u16> {
        let shard = self.router.as_ref()?.shard_of(key) as usize;
        self.links.get(shard).copied()
    }

    /// A request goes to the shard holding its key. A shard whose primary
    /// failed is served by the replica promoted in its place.
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        match self.link_for(v.key()) {
            Some(link) => {
                let shard = v.net.end(link);
                let to = v.net.primary_of[shard].unwrap_or(shard as u16);
                Arrival::Forward { link, to, delay: 0 }
            }
            None => Arrival::Fail(Cause::NoRoute),
        }
    }
}
