//! A test rig: a scenario's components on their network, outside any
//! simulation, so each kind's decisions can be tested in its own module.

use super::net::{Health, Network, NodeInfo, Wire};
use super::web::SessionHomes;
use super::{Arrival, Component, Reply, Visit, Work};
use crate::blocks::geo::Region;
use crate::blocks::request::{Arena, Frame, Kind, EMPTY_FRAME};
use crate::metrics::stats::NodeStats;
use crate::model::scenario::Scenario;

/// A scenario's components on their network, outside any simulation.
pub(crate) struct Rig {
    pub net: Network,
    pub components: Vec<Component>,
    pub stats: Vec<NodeStats>,
    pub arena: Arena,
}

impl Rig {
    /// The nodes of a scenario (ids `n0`, `n1`…) and wires between them
    /// by slot (only the components' view: the scenario itself has no links).
    pub fn new(nodes: &str, links: &[(usize, usize)]) -> Rig {
        let json =
            format!(r#"{{"version": 2, "seed": 1, "duration_s": 10, "warmup_s": 0, "nodes": [{nodes}], "links": []}}"#);
        let scenario = Scenario::from_json(&json).expect("a valid test scenario");
        let wires: Vec<Wire> = links
            .iter()
            .map(|&(a, b)| Wire { from: a as u16, to: b as u16, latency: 0, removed: false, sent: 0 })
            .collect();
        let n = scenario.nodes.len();
        let components = (0..n).map(|i| Component::for_node(&scenario.nodes[i].spec, Vec::new(), 1, i)).collect();
        let nodes = scenario
            .nodes
            .iter()
            .map(|s| NodeInfo { id: s.id.clone(), kind: s.spec.kind(), removed: false, health: Health::Up })
            .collect();
        Rig {
            net: Network {
                nodes,
                wires,
                primary_of: vec![None; n],
                replicas_of: vec![Vec::new(); n],
                slot_region: vec![None; n],
            },
            components,
            stats: vec![NodeStats::default(); n],
            arena: Arena::default(),
        }
    }

    /// A read for `key` from users in slot 0 (and `region`), now at `node` as its frame 1.
    pub fn request(&mut self, key: u64, region: Option<Region>, node: usize) -> u32 {
        let id = self.arena.alloc(Kind::Read, 7, 0, true, false);
        let r = self.arena.get_mut(id);
        r.key = key;
        r.region = region;
        r.frames[0] = Frame { node: 0, ..EMPTY_FRAME };
        r.frames[1] = Frame { node: node as u16, ..EMPTY_FRAME };
        r.depth = 2;
        id
    }

    /// Runs `decide` on request `id` at its frame 1, as the node sees it.
    pub fn at<T>(&mut self, id: u32, decide: impl FnOnce(&mut [Component], &mut Visit) -> T) -> T {
        let node = self.arena.get(id).frames[1].node as usize;
        let mut v = Visit {
            now: 1_000,
            node,
            id,
            req: self.arena.get_mut(id),
            f: 1,
            net: &self.net,
            stats: &mut self.stats[node],
        };
        decide(&mut self.components, &mut v)
    }

    /// Runs `serve` on request `id` at its frame 1 as a node's service
    /// sees it (a cache's lookup, a web server's next step), at `now`.
    pub fn work<T>(&mut self, id: u32, now: crate::base::time::Nanos, serve: impl FnOnce(&mut Work) -> T) -> T {
        let node = self.arena.get(id).frames[1].node as usize;
        let mut sessions = SessionHomes::default();
        let mut w = Work {
            now,
            node,
            req: self.arena.get_mut(id),
            f: 1,
            components: &mut self.components,
            net: &self.net,
            stats: &mut self.stats,
            sessions: &mut sessions,
        };
        serve(&mut w)
    }

    pub fn arrive(&mut self, id: u32) -> Arrival {
        self.at(id, Component::arrive)
    }

    pub fn answered(&mut self, id: u32, below: u16) -> Reply {
        self.at(id, |components, v| Component::answered(components, v, below))
    }
}
