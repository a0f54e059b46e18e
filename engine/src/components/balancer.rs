//! A load balancer: picks a backend for each request. It holds no workers and adds
//! no delay of its own; it counts open connections per backend for
//! `least_connections`.
//!
//! With health checks it sends only to backends it believes healthy. It learns
//! that a server died only from its probes (see `Balancer::probe`),
//! so a dead server keeps getting requests until the probes have failed
//! `threshold` times in a row: the detection time the lessons show.

use crate::base::rng::{Stream, StreamPurpose};
use crate::blocks::request::Cause;
use crate::components::net::Network;
use crate::components::{pass_unless_died, Arrival, Reply, Visit};
use crate::model::scenario::{Algorithm, LoadBalancerSpec};

impl Backend {
    fn new(link: u16) -> Backend {
        // A new server is trusted until its probes say otherwise.
        Backend { link, open: 0, healthy: true, streak: 0 }
    }
}

#[derive(Debug)]
pub struct Backend {
    pub link: u16,
    /// Requests sent to this backend whose responses have not come back.
    pub open: u32,
    /// In rotation: the balancer believes the server is up.
    pub healthy: bool,
    /// Probes in a row that disagreed with `healthy` (failed while healthy,
    /// passed while out of rotation).
    pub streak: u32,
}

#[derive(Debug)]
pub struct Balancer {
    pub algorithm: Algorithm,
    pub backends: Vec<Backend>,
    pub health_check: Option<crate::model::scenario::HealthCheck>,
    /// Bumped when the health-check settings change, so the probe already
    /// scheduled is ignored and a new round is started.
    pub check_epoch: u32,
    pub pair: bool,
    pub failover: crate::base::time::Nanos,
    next: usize,
    rng: Stream,
}

impl Balancer {
    pub fn new(spec: &LoadBalancerSpec, links: Vec<u16>, seed: u64, index: usize) -> Balancer {
        Balancer {
            algorithm: spec.algorithm,
            backends: links.into_iter().map(Backend::new).collect(),
            health_check: spec.health_check,
            check_epoch: 0,
            pair: spec.pair,
            failover: crate::base::time::secs_to_ns(spec.failover_s),
            next: 0,
            rng: Stream::new(seed, index, StreamPurpose::Routing),
        }
    }

    /// The backend (index into `backends`) for a request from `user`, among
    /// those in rotation; `None` when there is none.
    pub fn choose(&mut self, user: u32) -> Option<usize> {
        let n = self.backends.len();
        let healthy = self.backends.iter().filter(|b| b.healthy).count();
        if healthy == 0 {
            return None;
        }
        if healthy == n {
            return Some(self.pick(user, n));
        }
        // Some are out of rotation: pick among the rest by their rank.
        let rank = self.pick_among_healthy(user, healthy);
        self.backends.iter().enumerate().filter(|(_, b)| b.healthy).nth(rank).map(|(i, _)| i)
    }

    fn pick(&mut self, user: u32, n: usize) -> usize {
        match self.algorithm {
            Algorithm::RoundRobin => {
                let i = self.next % n;
                self.next = (i + 1) % n;
                i
            }
            Algorithm::Random => self.rng.below(n as u32) as usize,
            Algorithm::Sticky => (crate::blocks::sharding::key_hash(u64::from(user)) % n as u64) as usize,
            Algorithm::LeastConnections => {
                // Fewest open connections; ties go to the first after the last pick,
                // so equal backends share the load instead of the first one taking it.
                let start = self.next % n;
                let mut best = start;
                for k in 1..n {
                    let i = (start + k) % n;
                    if self.backends[i].open < self.backends[best].open {
                        best = i;
                    }
                }
                self.next = (best + 1) % n;
                best
            }
        }
    }

    /// The same rules over the `healthy` backends in rotation (as ranks
    /// 0..healthy). Sticky users of a removed server are re-hashed over the
    /// rest, as a real balancer does.
    fn pick_among_healthy(&mut self, user: u32, healthy: usize) -> usize {
        match self.algorithm {
            Algorithm::RoundRobin => {
                let i = self.next % healthy;
                self.next = (i + 1) % healthy;
                i
            }
            Algorithm::Random => self.rng.below(healthy as u32) as usize,
            Algorithm::Sticky => (crate::blocks::sharding::key_hash(u64::from(user)) % healthy as u64) as usize,
            Algorithm::LeastConnections => {
                let open: Vec<u32> = self.backends.iter().filter(|b| b.healthy).map(|b| b.open).collect();
                let start = self.next % healthy;
                let mut best = start;
                for k in 1..healthy {
                    let i = (start + k) % healthy;
                    if open[i] < open[best] {
                        best = i;
                    }
                }
                self.next = (best + 1) % healthy;
                best
            }
        }
    }

    pub fn add_backend(&mut self, link: u16) {
        self.backends.push(Backend::new(link));
    }

    /// The wiring changed: `links` are its backends now. Backends it keeps
    /// keep their state (open connections, what the probes said); new ones
    /// join at the end, trusted until probed. Responses from a backend that
    /// left still pass back (they find no backend to decrement, which is fine).
    pub(crate) fn rewire(&mut self, links: &[u16]) {
        let before = self.backends.len();
        self.backends.retain(|b| links.contains(&b.link));
        if self.backends.len() != before {
            self.next = 0;
        }
        for &link in links {
            if self.backend_of_link(link).is_none() {
                self.add_backend(link);
            }
        }
    }

    /// New settings while running; returns whether the health checks changed
    /// (the caller then starts a new round of probes).
    pub fn update(&mut self, spec: &LoadBalancerSpec) -> bool {
        self.algorithm = spec.algorithm;
        self.pair = spec.pair;
        self.failover = crate::base::time::secs_to_ns(spec.failover_s);
        if self.health_check == spec.health_check {
            return false;
        }
        self.health_check = spec.health_check;
        self.check_epoch = self.check_epoch.wrapping_add(1);
        if spec.health_check.is_none() {
            // Without probes it cannot tell: everything is back in rotation.
            for b in &mut self.backends {
                b.healthy = true;
                b.streak = 0;
            }
        }
        true
    }

    pub fn backend_of_link(&self, link: u16) -> Option<usize> {
        self.backends.iter().position(|b| b.link == link)
    }

    /// One round of health checks: each backend that is down fails its probe.
    /// `threshold` results in a row against what the balancer believes change
    /// its mind. Returns the backends (links) whose state changed, and to what
    /// (`true`: back in rotation).
    pub(crate) fn probe(&mut self, net: &Network, threshold: u32) -> Vec<(u16, bool)> {
        let mut changes = Vec::new();
        for be in &mut self.backends {
            let up = net.end_serving(be.link);
            if be.healthy != up {
                be.streak += 1;
                if be.streak >= threshold {
                    be.healthy = up;
                    be.streak = 0;
                    changes.push((be.link, up));
                }
            } else {
                be.streak = 0;
            }
        }
        changes
    }

    /// A request arrives: it goes to the backend chosen (one more connection
    /// open to it), or fails when no backend may take it.
    #[inline]
    pub(crate) fn arrive(&mut self, v: &mut Visit) -> Arrival {
        match self.choose(v.req.user) {
            Some(i) => {
                self.backends[i].open += 1;
                let link = self.backends[i].link;
                Arrival::Forward { link, to: v.net.end(link) as u16, delay: 0 }
            }
            None => Arrival::Fail(Cause::NoRoute),
        }
    }

    /// A backend's answer passes back through: its connection closes. A
    /// balancer that died with the connection open loses the answer.
    #[inline]
    pub(crate) fn answered(&mut self, v: &mut Visit, below: u16) -> Reply {
        if let Some(i) = self.backend_of_link(below) {
            self.backends[i].open = self.backends[i].open.saturating_sub(1);
        }
        pass_unless_died(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(algorithm: Algorithm) -> LoadBalancerSpec {
        LoadBalancerSpec { algorithm, health_check: None, pair: false, failover_s: 0.0 }
    }

    #[test]
    fn only_backends_in_rotation_are_chosen() {
        for algorithm in [Algorithm::RoundRobin, Algorithm::Random, Algorithm::Sticky, Algorithm::LeastConnections] {
            let mut b = Balancer::new(&spec(algorithm), vec![0, 1, 2], 1, 0);
            b.backends[1].healthy = false;
            let picks: std::collections::HashSet<usize> = (0..200).map(|u| b.choose(u).unwrap()).collect();
            assert_eq!(picks, [0, 2].into_iter().collect(), "{algorithm:?}");
            b.backends[0].healthy = false;
            b.backends[2].healthy = false;
            assert_eq!(b.choose(7), None);
        }
    }

    #[test]
    fn round_robin_cycles_and_sticky_is_stable() {
        let mut b = Balancer::new(&spec(Algorithm::RoundRobin), vec![0, 1, 2], 1, 0);
        let picks: Vec<usize> = (0..6).map(|_| b.choose(0).unwrap()).collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
        let mut s = Balancer::new(&spec(Algorithm::Sticky), vec![0, 1, 2], 1, 0);
        for user in 0..100 {
            let first = s.choose(user);
            assert_eq!(s.choose(user), first);
            assert!(first.is_some());
        }
        let spread: std::collections::HashSet<usize> = (0..100).map(|u| s.choose(u).unwrap()).collect();
        assert_eq!(spread.len(), 3);
    }

    #[test]
    fn least_connections_prefers_the_idle_backend() {
        let mut b = Balancer::new(&spec(Algorithm::LeastConnections), vec![0, 1], 1, 0);
        b.backends[0].open = 5;
        assert_eq!(b.choose(0), Some(1));
        b.backends[1].open = 9;
        assert_eq!(b.choose(0), Some(0));
        b.rewire(&[]);
        assert_eq!(b.choose(0), None);
    }

    #[test]
    fn rewiring_keeps_what_a_balancer_knows_of_the_backends_it_keeps() {
        let mut b = Balancer::new(&spec(Algorithm::LeastConnections), vec![3, 5], 1, 0);
        b.backends[1].open = 4;
        b.backends[1].healthy = false;
        b.rewire(&[5, 8]);
        let kept: Vec<(u16, u32, bool)> = b.backends.iter().map(|be| (be.link, be.open, be.healthy)).collect();
        assert_eq!(kept, [(5, 4, false), (8, 0, true)], "link 3 left, 5 kept its state, 8 joined trusted");
    }
}
