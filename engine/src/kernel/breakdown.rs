//! Where the time goes: the latency of successful requests split by node and
//! by cause (network, queueing, service, waiting on the nodes called), for the
//! mean and for the slowest requests.
//!
//! Each traced request (see [`crate::kernel::trace`]) that succeeds adds its visits'
//! parts to the class of its latency (four classes per doubling). The mean
//! breakdown sums every class; the tail breakdown sums the classes from the
//! one holding the 99th percentile up, so it describes the requests at and
//! beyond the p99. A node's network, queueing and service times add up,
//! over all nodes, to the latency; its waiting time is the part of that spent
//! below it, so it is shown beside and never added in.

use crate::base::time::Nanos;
use crate::kernel::trace::Visit;
use crate::model::kinds::NodeKind;
use serde::{Deserialize, Serialize};

/// Latency classes per doubling: the tail's edge is within 19% of the p99.
const CLASSES_PER_OCTAVE: u32 = 4;
/// Quantile the tail breakdown starts at.
pub const TAIL_QUANTILE: f64 = 0.99;

/// Sums of one part per node.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Parts {
    network: u64,
    queued: u64,
    service: u64,
    waiting: u64,
    pool: u64,
}

#[derive(Clone, Debug, Default)]
struct Class {
    requests: u64,
    latency_sum: u128,
    /// By node slot (grown as nodes are seen).
    parts: Vec<Parts>,
}

/// The breakdown of the requests added so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct BreakdownSums {
    classes: Vec<Class>,
    /// The shallowest depth each node slot was seen at (for the order of hops).
    depth: Vec<u8>,
    requests: u64,
}

fn class_of(latency: Nanos) -> usize {
    if latency < 4 {
        return latency as usize;
    }
    let e = 63 - latency.leading_zeros();
    let slice = (latency >> (e - 2)) & 3;
    (e * CLASSES_PER_OCTAVE) as usize + slice as usize
}

impl BreakdownSums {
    /// Adds one successful request of `latency`, read into `visits`.
    pub fn add(&mut self, latency: Nanos, visits: &[Visit], end: Nanos) {
        let c = class_of(latency);
        if self.classes.len() <= c {
            self.classes.resize_with(c + 1, Class::default);
        }
        let class = &mut self.classes[c];
        class.requests += 1;
        class.latency_sum += latency as u128;
        for v in visits.iter().skip(1) {
            let slot = v.slot as usize;
            if class.parts.len() <= slot {
                class.parts.resize(slot + 1, Parts::default());
            }
            let p = &mut class.parts[slot];
            p.network += v.network;
            p.queued += v.queued;
            p.service += v.service;
            p.waiting += v.waiting(end);
            p.pool += v.pool;
            if self.depth.len() <= slot {
                self.depth.resize(slot + 1, u8::MAX);
            }
            self.depth[slot] = self.depth[slot].min(v.depth);
        }
        self.requests += 1;
    }

    pub fn clear(&mut self) {
        for c in &mut self.classes {
            c.requests = 0;
            c.latency_sum = 0;
            c.parts.iter_mut().for_each(|p| *p = Parts::default());
        }
        self.requests = 0;
    }

    /// The first class of the tail: the one holding the `TAIL_QUANTILE`.
    fn tail_start(&self, with: Option<&BreakdownSums>) -> usize {
        let total = self.requests + with.map_or(0, |w| w.requests);
        let rank = ((total as f64) * TAIL_QUANTILE).ceil().max(1.0) as u64;
        let mut seen = 0;
        let n = self.classes.len().max(with.map_or(0, |w| w.classes.len()));
        for c in 0..n {
            seen += self.classes.get(c).map_or(0, |k| k.requests)
                + with.and_then(|w| w.classes.get(c)).map_or(0, |k| k.requests);
            if seen >= rank {
                return c;
            }
        }
        n
    }

    /// The mean and tail breakdowns of these sums and, if given, another
    /// period's (the two halves of a sliding window), with node names from `name`.
    pub fn view(
        &self,
        with: Option<&BreakdownSums>,
        name: impl Fn(usize) -> Option<(String, NodeKind)>,
    ) -> Option<LatencyBreakdown> {
        let requests = self.requests + with.map_or(0, |w| w.requests);
        if requests == 0 {
            return None;
        }
        let tail_from = self.tail_start(with);
        let sources: Vec<&BreakdownSums> = std::iter::once(self).chain(with).collect();
        let depth_of = |slot: usize| {
            sources.iter().map(|s| s.depth.get(slot).copied().unwrap_or(u8::MAX)).min().unwrap_or(u8::MAX)
        };
        let part = |from: usize| {
            let mut count = 0u64;
            let mut latency = 0u128;
            let mut sums: Vec<Parts> = Vec::new();
            for s in &sources {
                for class in s.classes.iter().skip(from) {
                    count += class.requests;
                    latency += class.latency_sum;
                    if sums.len() < class.parts.len() {
                        sums.resize(class.parts.len(), Parts::default());
                    }
                    for (slot, p) in class.parts.iter().enumerate() {
                        let t = &mut sums[slot];
                        t.network += p.network;
                        t.queued += p.queued;
                        t.service += p.service;
                        t.waiting += p.waiting;
                        t.pool += p.pool;
                    }
                }
            }
            let per = |x: u64| x as f64 / count.max(1) as f64 / 1e6;
            let mut hops: Vec<(u8, usize, HopShare)> = sums
                .iter()
                .enumerate()
                .filter(|(_, p)| **p != Parts::default())
                .filter_map(|(slot, p)| {
                    let (node, kind) = name(slot)?;
                    Some((
                        depth_of(slot),
                        slot,
                        HopShare {
                            node,
                            kind,
                            network_ms: per(p.network),
                            queueing_ms: per(p.queued),
                            service_ms: per(p.service),
                            waiting_ms: per(p.waiting),
                            pool_ms: per(p.pool),
                        },
                    ))
                })
                .collect();
            hops.sort_by_key(|(d, slot, _)| (*d, *slot));
            BreakdownPart {
                requests: count,
                latency_ms: latency as f64 / count.max(1) as f64 / 1e6,
                hops: hops.into_iter().map(|(_, _, h)| h).collect(),
            }
        };
        Some(LatencyBreakdown { requests, span_s: 0.0, mean: part(0), tail: part(tail_from) })
    }
}

/// One node's share of the latency, in milliseconds per request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HopShare {
    pub node: String,
    pub kind: NodeKind,
    /// On the wires to this node and back.
    pub network_ms: f64,
    pub queueing_ms: f64,
    pub service_ms: f64,
    /// Waiting for the nodes it called: their parts, not added again.
    pub waiting_ms: f64,
    /// A web server's calls waiting for a connection of its pool: its own
    /// part (the callees had not got the call yet). Left out when none.
    #[serde(default, skip_serializing_if = "is_zero_ms")]
    pub pool_ms: f64,
}

fn is_zero_ms(x: &f64) -> bool {
    *x == 0.0
}

impl HopShare {
    /// This node's own parts (they add up, over the nodes, to the latency).
    pub fn own_ms(&self) -> f64 {
        self.network_ms + self.queueing_ms + self.service_ms + self.pool_ms
    }
}

/// The breakdown over a group of requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownPart {
    pub requests: u64,
    /// Their mean latency: the sum of every hop's own parts.
    pub latency_ms: f64,
    /// In path order (shallowest first).
    pub hops: Vec<HopShare>,
}

impl BreakdownPart {
    /// The node and part that take the most time (e.g. `("db", "queueing")`).
    pub fn largest(&self) -> Option<(&str, &'static str, f64)> {
        self.hops
            .iter()
            .flat_map(|h| {
                [
                    ("network", h.network_ms),
                    ("queueing", h.queueing_ms),
                    ("service", h.service_ms),
                    ("waiting for a connection", h.pool_ms),
                ]
                .map(|(p, v)| (h.node.as_str(), p, v))
            })
            .max_by(|a, b| a.2.total_cmp(&b.2))
    }
}

/// Where the time of successful traced requests went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatencyBreakdown {
    /// Traced requests it is made from.
    pub requests: u64,
    /// The simulated seconds those requests finished in: up to now from the
    /// start of the window, or from when tracing for the breakdown was last
    /// turned on ([`crate::kernel::sim::Simulation::set_breakdown`]) if later.
    pub span_s: f64,
    pub mean: BreakdownPart,
    /// The requests at and beyond the p99 (the class holding it and above).
    pub tail: BreakdownPart,
}

impl crate::kernel::sim::Simulation {
    /// Where the time of successful traced requests went over the last 30 to
    /// 60 simulated seconds, or since tracing for the breakdown was last
    /// turned on (`span_s` says which; `None`: none finished yet, or tracing
    /// is off).
    pub fn latency_breakdown(&self) -> Option<LatencyBreakdown> {
        if !self.breakdown_on {
            return None;
        }
        let [previous, current] = &self.breakdown_recent;
        let mut b = current.view(Some(previous), |slot| self.breakdown_name(slot))?;
        b.span_s = self.now.saturating_sub(self.breakdown_from[0]) as f64 / 1e9;
        Some(b)
    }

    /// The same for every traced request born in the statistics window
    /// (while tracing for the breakdown was on).
    pub fn latency_breakdown_window(&self) -> Option<LatencyBreakdown> {
        let mut b = self.breakdown_window.view(None, |slot| self.breakdown_name(slot))?;
        b.span_s = self.now.saturating_sub(self.warmup) as f64 / 1e9;
        Some(b)
    }

    /// Turns tracing for the latency breakdown on or off (on from the
    /// start). While off, no request is traced for it: nothing is marked on
    /// its hops and nothing is summed at its end, which is most of what the
    /// breakdown costs; every other figure of the run is the same either way
    /// (which requests are traced depends on their numbers, not on a random
    /// draw). Turned on again, the recent breakdown starts afresh, so it
    /// never mixes periods with a gap between them. Requests are traced
    /// from their birth, so those born while it was off are never in it.
    pub fn set_breakdown(&mut self, on: bool) {
        if on && !self.breakdown_on {
            self.breakdown_recent.iter_mut().for_each(BreakdownSums::clear);
            self.breakdown_from = [self.now; 2];
        }
        self.breakdown_on = on;
    }

    /// Whether requests are traced for the latency breakdown.
    pub fn breakdown_on(&self) -> bool {
        self.breakdown_on
    }

    fn breakdown_name(&self, slot: usize) -> Option<(String, NodeKind)> {
        let n = self.net.nodes.get(slot)?;
        Some((n.id.clone(), n.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(
        slot: u16,
        depth: u8,
        arrived: Nanos,
        until: Nanos,
        network: Nanos,
        queued: Nanos,
        service: Nanos,
    ) -> Visit {
        Visit {
            slot,
            depth,
            arrived,
            until: Some(until),
            answered: true,
            network,
            queued,
            service,
            backoff: 0,
            pool: 0,
            attempt: 1,
            failed: None,
        }
    }

    fn name(slot: usize) -> Option<(String, NodeKind)> {
        let kinds = [NodeKind::Users, NodeKind::WebServer, NodeKind::Database];
        Some((["users", "web", "db"][slot].to_string(), kinds[slot]))
    }

    #[test]
    fn classes_grow_by_a_quarter_octave() {
        assert_eq!(class_of(3), 3);
        assert_eq!(class_of(4), 8);
        assert_eq!(class_of(5), 9);
        assert_eq!(class_of(7), 11);
        assert_eq!(class_of(8), 12);
        assert!(class_of(1_000_000) < class_of(1_200_000));
    }

    #[test]
    fn the_tail_is_made_of_the_slowest_requests_and_the_mean_of_all() {
        let mut s = BreakdownSums::default();
        // 97 fast requests (web 1 ms of service) and 3 slow ones (db queue
        // 100 ms): the p99 is a slow one.
        for _ in 0..97 {
            s.add(
                1_000_000,
                &[visit(0, 0, 0, 1_000_000, 0, 0, 0), visit(1, 1, 0, 1_000_000, 0, 0, 1_000_000)],
                1_000_000,
            );
        }
        let slow = [
            visit(0, 0, 0, 101_000_000, 0, 0, 0),
            visit(1, 1, 0, 101_000_000, 0, 0, 1_000_000),
            visit(2, 2, 1_000_000, 101_000_000, 0, 100_000_000, 0),
        ];
        for _ in 0..3 {
            s.add(101_000_000, &slow, 101_000_000);
        }
        let b = s.view(None, name).unwrap();
        assert_eq!(b.requests, 100);
        assert!((b.mean.latency_ms - 4.0).abs() < 1e-9);
        let own: f64 = b.mean.hops.iter().map(HopShare::own_ms).sum();
        assert!((own - b.mean.latency_ms).abs() < 1e-9, "parts add up to the mean");
        assert_eq!(b.tail.requests, 3);
        assert_eq!(b.tail.largest(), Some(("db", "queueing", 100.0)));
        assert_eq!(b.mean.hops.iter().map(|h| h.node.as_str()).collect::<Vec<_>>(), ["web", "db"]);
        assert!((b.tail.hops[0].waiting_ms - 100.0).abs() < 1e-9, "the server waited for the database");
    }
}
